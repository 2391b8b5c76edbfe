-- CreateTable
CREATE TABLE "RevokedJwt" (
    "jti" TEXT NOT NULL PRIMARY KEY,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "RevokedJwt_revokedAt_idx" ON "RevokedJwt"("revokedAt");
