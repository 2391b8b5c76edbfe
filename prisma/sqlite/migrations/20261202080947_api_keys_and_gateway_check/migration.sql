-- AlterTable
ALTER TABLE "ResourceServer" ADD COLUMN "dailyQuota" INTEGER;
ALTER TABLE "ResourceServer" ADD COLUMN "rateLimit" INTEGER;
ALTER TABLE "ResourceServer" ADD COLUMN "requirement" TEXT;

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT,
    "clientId" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "keyStart" TEXT NOT NULL,
    "keyEnd" TEXT NOT NULL,
    "scope" TEXT,
    "rateLimit" INTEGER,
    "dailyQuota" INTEGER,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    "rotatedTo" TEXT,
    "lastUsedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ApiRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "resource" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "method" TEXT,
    "requirement" TEXT NOT NULL,
    "scope" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ApiUsage" (
    "clientId" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "apiKeyId" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "allowed" INTEGER NOT NULL DEFAULT 0,
    "denied" INTEGER NOT NULL DEFAULT 0,
    "throttled" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("clientId", "resource", "apiKeyId", "day")
);

-- CreateIndex
CREATE INDEX "ApiKey_clientId_idx" ON "ApiKey"("clientId");

-- CreateIndex
CREATE INDEX "ApiKey_resource_idx" ON "ApiKey"("resource");

-- CreateIndex
CREATE INDEX "ApiRule_resource_idx" ON "ApiRule"("resource");

-- CreateIndex
CREATE INDEX "ApiUsage_apiKeyId_day_idx" ON "ApiUsage"("apiKeyId", "day");
