/** Hands bytes made on the host to the browser as a file download. */
import type { ExportedFile } from '../../main/api/contract';

export function downloadFile(file: ExportedFile): void {
  const url = URL.createObjectURL(new Blob([file.bytes as Uint8Array<ArrayBuffer>]));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the URL; it can go once this task ends.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
