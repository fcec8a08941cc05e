/**
 * Events and scenarios in the window, end to end: the scenario panel over
 * the built web host, the perf tool's verdict on an event string with its
 * caret under the right character, a mediated vm0, and the recording opening
 * as a flame graph.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { paintedPixels, screenshot, useWindowHost } from '../helpers/browser';

const win = useWindowHost();

/** Where the input draws character `column` of its text, and where the caret is, in page pixels. */
function caretAndCharacter(page: Page, column: number): Promise<{ caret: number; character: number }> {
  return page.evaluate((col) => {
    const input = document.querySelector('[data-testid="event-input"]') as HTMLInputElement;
    const caret = document.querySelector('[data-testid="event-caret"]') as HTMLElement;
    const style = getComputedStyle(input);
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = style.font;
    const box = input.getBoundingClientRect();
    const start = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft) - input.scrollLeft;
    return { caret: caret.getBoundingClientRect().left, character: start + ctx.measureText(input.value.slice(0, col)).width };
  }, column);
}

describe('running a scenario from the window', () => {
  it('shows perf’s error under the right character, then records vm0 mediated and draws it', async () => {
    const { page, errors } = await win.openWindow();

    await page.getByTestId('scenario-button').click();
    const panel = page.getByTestId('scenario-panel');
    await expect.poll(() => page.getByTestId('scenario-select').inputValue()).toBe('default');
    expect(await page.getByTestId('vpmu-vm0').inputValue()).toBe('emulated');
    expect(await page.getByTestId('vpmu-vm0').locator('option').allTextContents()).toEqual(['none', 'emulated', 'mediated', 'paravirt']);

    // perf reads "ukx" as one modifier token and refuses it from its colon, character 19.
    const bad = 'cycles,instructions:ukx';
    await page.getByTestId('event-input').fill(bad);
    const caret = page.getByTestId('event-caret');
    await expect.poll(() => caret.getAttribute('data-column'), { timeout: 5000 }).toBe('19');
    expect(bad[19]).toBe(':');
    const message = (await page.getByTestId('event-error').textContent()) ?? '';
    expect(message).toContain("event syntax error: '..nstructions:ukx'");
    expect(message).toContain('\\___ Unrecognized input');
    expect(message).toContain("Run 'perf list' for a list of valid events");
    const at = await caretAndCharacter(page, 19);
    expect(Math.abs(at.caret - at.character)).toBeLessThan(1.5);
    expect(await page.getByTestId('scenario-run').isDisabled()).toBe(true);
    await screenshot(page, 'event-editor-error');

    // The host-only preset fixes it: both events exclude_guest.
    await page.getByTestId('preset-host').click();
    await expect.poll(() => page.getByTestId('event-list').textContent()).toMatch(/cycles:H\s*host only\s*instructions:H\s*host only/);
    expect(await caret.count()).toBe(0);
    expect(await page.getByTestId('event-input').inputValue()).toBe('cycles:H,instructions:H');

    // KVM refuses a mediated VM beside the NMI watchdog; nothing runs and the panel says why.
    await page.getByTestId('vpmu-vm0').selectOption('mediated');
    await page.getByTestId('duration-input').fill('400');
    await page.getByTestId('duration-input').dispatchEvent('change');
    await page.getByTestId('scenario-run').click();
    await expect.poll(() => page.getByTestId('scenario-error').textContent()).toContain('vm0: KVM_CREATE_VCPU: Device or resource busy (EBUSY)');
    expect(await panel.isVisible()).toBe(true);
    expect(await page.getByTestId('flame-canvas').count()).toBe(0);

    await page.getByTestId('nmi-watchdog').uncheck();
    await screenshot(page, 'scenario-panel');
    await page.getByTestId('scenario-run').click();
    await expect.poll(() => panel.count()).toBe(0);

    const canvas = page.getByTestId('flame-canvas');
    await expect.poll(async () => Number(await canvas.getAttribute('data-frames-drawn')), { timeout: 60_000 }).toBeGreaterThan(30);
    const status = (await page.getByTestId('status').textContent()) ?? '';
    expect(status).toMatch(/^default · cycles:H · /);
    expect(Number(/([\d,]+) samples/.exec(status)?.[1].replaceAll(',', ''))).toBeGreaterThan(1000);
    expect(await paintedPixels(page, 'flame-canvas')).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
  });
});
