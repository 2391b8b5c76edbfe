-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "signingSecret" TEXT;
