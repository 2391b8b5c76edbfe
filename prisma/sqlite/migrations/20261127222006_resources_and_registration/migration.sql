-- AlterTable
ALTER TABLE "OidcPayload" ADD COLUMN "clientId" TEXT;

-- CreateTable
CREATE TABLE "ResourceServer" (
    "identifier" TEXT NOT NULL PRIMARY KEY,
    "scope" TEXT NOT NULL,
    "accessTokenFormat" TEXT NOT NULL,
    "accessTokenTtl" INTEGER,
    "jwtAlg" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "RegistrationAttempt" (
    "ip" TEXT NOT NULL PRIMARY KEY,
    "windowStart" DATETIME NOT NULL,
    "count" INTEGER NOT NULL
);

-- CreateIndex
CREATE INDEX "OidcPayload_clientId_idx" ON "OidcPayload"("clientId");
