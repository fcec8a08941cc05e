/**
 * The page side of a canvas view, shared by the flame graph and the flame
 * chart: the backing store sized to the canvas's box at the device pixel
 * ratio (on mount and whenever the box resizes), a repaint when the colour
 * scheme flips, the theme's colours read from CSS, and pointer positions in
 * canvas coordinates. Call it from a component's setup.
 */
import { onBeforeUnmount, onMounted, type Ref } from 'vue';

const darkScheme = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

/** The colours canvases paint their chrome in, from the stylesheet's custom properties. */
export interface CanvasTheme {
  dark: boolean;
  background: string;
  text: string;
  muted: string;
  highlight: string;
  header: string;
  border: string;
}

export interface CanvasHost {
  /** Device pixels per CSS pixel at the last fit. */
  dpr(): number;
  theme(): CanvasTheme;
  /** The pointer in the canvas's CSS pixels. */
  point(ev: MouseEvent): { x: number; y: number };
}

/**
 * `size` gets the box's CSS size at every fit, after which `resized` runs;
 * `repaint` runs when the colour scheme changes.
 */
export function useCanvasHost(
  container: Ref<HTMLElement | null>,
  canvas: Ref<HTMLCanvasElement | null>,
  size: { width: number; height: number },
  resized: () => void,
  repaint: () => void,
): CanvasHost {
  let dpr = 1;
  let observer: ResizeObserver | null = null;

  function fit(): void {
    const box = container.value;
    const el = canvas.value;
    if (!box || !el) return;
    dpr = window.devicePixelRatio || 1;
    size.width = box.clientWidth;
    size.height = box.clientHeight;
    // Assigning a canvas size reallocates its backing store, even to the same size.
    const w = Math.max(1, Math.round(size.width * dpr));
    const h = Math.max(1, Math.round(size.height * dpr));
    if (el.width !== w) el.width = w;
    if (el.height !== h) el.height = h;
    resized();
  }

  onMounted(() => {
    observer = new ResizeObserver(fit);
    if (container.value) observer.observe(container.value);
    darkScheme?.addEventListener('change', repaint);
    fit();
  });
  onBeforeUnmount(() => {
    observer?.disconnect();
    darkScheme?.removeEventListener('change', repaint);
  });

  return {
    dpr: () => dpr,
    theme(): CanvasTheme {
      const css = getComputedStyle(canvas.value ?? document.documentElement);
      const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
      return {
        dark: darkScheme?.matches ?? false,
        background: v('--flame-bg', '#ffffff'),
        text: v('--flame-text', '#1b1b1f'),
        muted: v('--text-muted', '#5d6270'),
        highlight: v('--flame-highlight', '#000000'),
        header: v('--surface', '#f5f6f8'),
        border: v('--border', '#d9dce3'),
      };
    },
    point(ev: MouseEvent) {
      const r = canvas.value!.getBoundingClientRect();
      return { x: ev.clientX - r.left, y: ev.clientY - r.top };
    },
  };
}
