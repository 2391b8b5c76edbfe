-- AlterTable
ALTER TABLE "ResourceServer" ADD COLUMN     "dailyQuota" INTEGER,
ADD COLUMN     "rateLimit" INTEGER,
ADD COLUMN     "requirement" TEXT;

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "clientId" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "keyStart" TEXT NOT NULL,
    "keyEnd" TEXT NOT NULL,
    "scope" TEXT,
    "rateLimit" INTEGER,
    "dailyQuota" INTEGER,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "rotatedTo" TEXT,
    "lastUsedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiRule" (
    "id" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "method" TEXT,
    "requirement" TEXT NOT NULL,
    "scope" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ApiRule_pkey" PRIMARY KEY ("id")
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

    CONSTRAINT "ApiUsage_pkey" PRIMARY KEY ("clientId","resource","apiKeyId","day")
);

-- CreateIndex
CREATE INDEX "ApiKey_clientId_idx" ON "ApiKey"("clientId");

-- CreateIndex
CREATE INDEX "ApiKey_resource_idx" ON "ApiKey"("resource");

-- CreateIndex
CREATE INDEX "ApiRule_resource_idx" ON "ApiRule"("resource");

-- CreateIndex
CREATE INDEX "ApiUsage_apiKeyId_day_idx" ON "ApiUsage"("apiKeyId", "day");
