// Screenshots of pages at a phone's and a desktop's width, into one folder per test run, printed
// so a reviewer can look at them (GATEHOUSE_SCREENSHOTS picks the folder).
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

export function screenshotFolder(name: string): string {
  const folder = process.env.GATEHOUSE_SCREENSHOTS ? join(process.env.GATEHOUSE_SCREENSHOTS, name) : mkdtempSync(join(tmpdir(), `gatehouse-${name}-`));
  mkdirSync(folder, { recursive: true });
  process.stdout.write(`# screenshots of the ${name} pages: ${folder}\n`);
  return folder;
}

/** Saves the page as it is at both widths, then restores the desktop width. */
export async function shoot(page: Page, folder: string, name: string): Promise<void> {
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(folder, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(folder, `${name}-desktop.png`), fullPage: true });
}
