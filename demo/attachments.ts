/**
 * Images and audio for models that take them: from the file picker, a paste, or a drop,
 * read into data: URLs (what the request sends; WAV and MP3 for audio, as the API takes).
 */
import type { Attachment } from './conversation.js';

function audioFormat(file: File): 'wav' | 'mp3' | null {
  if (/wav/.test(file.type) || /\.wav$/i.test(file.name)) return 'wav';
  if (/mpeg|mp3/.test(file.type) || /\.mp3$/i.test(file.name)) return 'mp3';
  return null;
}

function dataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export async function readAttachment(file: File): Promise<Attachment> {
  if (file.type.startsWith('image/')) return { kind: 'image', name: file.name || 'pasted image', dataUrl: await dataUrl(file) };
  const format = audioFormat(file);
  if (format) return { kind: 'audio', name: file.name || 'pasted audio', format, dataUrl: await dataUrl(file) };
  throw new Error(`${file.name || 'That file'}: only images and WAV or MP3 audio can be attached.`);
}

/** Calls `onFiles` with the files picked, pasted into `pasteTarget`, or dropped on `dropZone`. */
export function wireAttachments(input: HTMLInputElement, dropZone: HTMLElement, pasteTarget: HTMLElement, onFiles: (files: File[]) => void): void {
  input.addEventListener('change', () => {
    onFiles([...(input.files ?? [])]);
    input.value = '';
  });
  pasteTarget.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    onFiles(files);
  });
  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('dropping');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dropping'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('dropping');
    onFiles([...(event.dataTransfer?.files ?? [])]);
  });
}
