-- AlterTable
ALTER TABLE "Client" ADD COLUMN "dailyQuota" INTEGER;
ALTER TABLE "Client" ADD COLUMN "previousSecretExpiresAt" DATETIME;
ALTER TABLE "Client" ADD COLUMN "previousSecretHash" TEXT;
ALTER TABLE "Client" ADD COLUMN "rateLimit" INTEGER;

-- CreateTable
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "points" INTEGER NOT NULL,
    "expire" DATETIME
);

-- CreateTable
CREATE TABLE "ClientUsage" (
    "clientId" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "grantType" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("clientId", "day", "grantType")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" TEXT NOT NULL,
    "clientId" TEXT,
    "accountId" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,
    "detail" TEXT
);

-- CreateIndex
CREATE INDEX "RateLimit_expire_idx" ON "RateLimit"("expire");

-- CreateIndex
CREATE INDEX "AuditEvent_createdAt_idx" ON "AuditEvent"("createdAt");

-- CreateIndex
CREATE INDEX "AuditEvent_type_idx" ON "AuditEvent"("type");

-- CreateIndex
CREATE INDEX "AuditEvent_clientId_idx" ON "AuditEvent"("clientId");
