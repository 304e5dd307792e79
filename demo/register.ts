/**
 * "Register a model" from the page: a Hugging Face hub id or a folder URL (the
 * transformers.js engine), or an OpenAI-compatible server's base URL (the remote engine:
 * `{ id, engine: 'remote', baseURL, apiKey?, model? }`).
 */
export interface RegisterInput {
  engine: 'transformers' | 'remote';
  /** Hub id (`owner/name`), a model folder URL, or (remote) the server's base URL. */
  source: string;
  id: string;
  modalities: Array<'image' | 'audio'>;
  apiKey: string;
  remoteModel: string;
}

const isUrl = (s: string) => /^(https?:\/\/|\/|\.\.?\/)/.test(s);

/** The registration `client.models.register` takes, or an Error saying what is missing. */
export function registrationOf(input: RegisterInput): Record<string, unknown> & { id: string } {
  const source = input.source.trim();
  if (!source) throw new Error('Give a hub id (owner/name) or a URL.');
  if (input.engine === 'remote') {
    if (!/^https?:\/\//.test(source)) throw new Error('A remote server is an http(s) base URL, e.g. http://localhost:8000/v1.');
    const id = input.id.trim() || input.remoteModel.trim();
    if (!id) throw new Error('Name the model: an id, or the server\'s model name.');
    return {
      id,
      engine: 'remote',
      baseURL: source,
      ...(input.apiKey ? { apiKey: input.apiKey } : {}),
      ...(input.remoteModel.trim() ? { model: input.remoteModel.trim() } : {}),
    };
  }
  const modalities = input.modalities.length ? { modalities: ['text', ...input.modalities] } : {};
  if (isUrl(source)) {
    const baseUrl = source.endsWith('/') ? source : `${source}/`;
    const id = input.id.trim() || baseUrl.split('/').filter(Boolean).at(-1)!;
    return { id, baseUrl, ...modalities };
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(source)) throw new Error('A hub id looks like owner/name (e.g. onnx-community/Qwen2.5-0.5B-Instruct).');
  return { id: input.id.trim() || source, repo: source, ...modalities };
}
