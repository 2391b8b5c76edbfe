-- CreateTable
CREATE TABLE "RevokedJwt" (
    "jti" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RevokedJwt_pkey" PRIMARY KEY ("jti")
);

-- CreateIndex
CREATE INDEX "RevokedJwt_revokedAt_idx" ON "RevokedJwt"("revokedAt");
