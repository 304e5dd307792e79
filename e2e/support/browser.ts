import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';

/**
 * Debian's Chromium with WebGPU on SwiftShader (see shared/FINDINGS.md): real WebGPU in
 * headless mode, no GPU needed. The background-networking flags keep it off the network.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];

export type Device = 'wasm' | 'webgpu';
export const DEVICES: Device[] = ['wasm', 'webgpu'];

export function baseURL(): string {
  return inject('baseURL');
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Opens a page with console errors and page errors collected (so a test can assert the
 * page stayed healthy) and forwarded to the test log when DEBUG is set.
 */
export async function openPage(target: Browser | BrowserContext, path: string): Promise<Page & { errors: string[] }> {
  const page = (await target.newPage()) as Page & { errors: string[] };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (process.env.DEBUG) console.log(`[page ${m.type()}] ${m.text()}`);
  });
  await page.goto(baseURL() + path);
  return page;
}
