import { NotFoundError } from '../protocol/errors.js';
import type { Model } from '../protocol/models.js';
import type { ModelSpec } from './engine.js';

/** Model ids -> which engine runs them and from which files. */
export class ModelRegistry {
  private readonly specs = new Map<string, ModelSpec>();

  constructor(specs: Iterable<ModelSpec> = []) {
    for (const spec of specs) this.register(spec);
  }

  register(spec: ModelSpec): void {
    this.specs.set(spec.id, spec);
  }

  has(id: string): boolean {
    return this.specs.has(id);
  }

  get(id: string, param = 'model'): ModelSpec {
    const spec = this.specs.get(id);
    if (!spec) {
      throw new NotFoundError(`The model '${id}' does not exist or you do not have access to it.`, {
        param,
        code: 'model_not_found',
      });
    }
    return spec;
  }

  all(): ModelSpec[] {
    return [...this.specs.values()];
  }
}

export function describeModel(spec: ModelSpec, loaded: boolean, contextLength: number | null): Model {
  return {
    id: spec.id,
    object: 'model',
    created: 0,
    owned_by: spec.ownedBy ?? spec.source.repo.split('/')[0] ?? 'webinfer',
    engine: spec.engine,
    modalities: spec.modalities ?? ['text'],
    context_length: contextLength ?? spec.contextLength ?? null,
    loaded,
    size_bytes: spec.sizeBytes ?? null,
    ...(spec.remote && spec.engine !== 'remote' ? { routing: spec.routing ?? 'prefer_on_device' } : {}),
  };
}
