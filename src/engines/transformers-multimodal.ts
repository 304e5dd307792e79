import {
  AutoModelForImageTextToText,
  AutoProcessor,
  Lfm2VlProcessor,
  LlavaProcessor,
  PaliGemmaProcessor,
  PixtralProcessor,
  RawImage,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
  type Tensor,
} from '@huggingface/transformers';
import type { LoadContext, LoadedModel, ModelSpec, PreparedPrompt, PromptInput } from '../core/engine.js';
import type { DecodedImage } from '../core/media/types.js';
import { BadRequestError } from '../protocol/errors.js';
import type { DeviceKind, Modality } from '../protocol/models.js';
import { toTemplateMessages, toTemplateTools } from './hf-chat.js';
import { TransformersModel } from './transformers.js';

/**
 * transformers.js image-text-to-text models (AutoProcessor + AutoModelForImageTextToText):
 * the model's own processor renders the chat template with image placeholders, expands
 * them and turns the (already decoded, worker-side) pictures into pixel_values; the
 * generation loop, sampler and stopping are TransformersModel's, unchanged.
 */

/** `model_type`s that transformers.js runs as chat vision-language models. */
export const IMAGE_TEXT_TO_TEXT_TYPES = new Set([
  'llava', 'llava_onevision', 'llava_qwen2', 'idefics3', 'smolvlm',
  'qwen2_vl', 'qwen2_5_vl', 'qwen3_vl', 'qwen3_vl_moe', 'qwen3_5', 'qwen3_5_moe',
  'gemma3', 'lfm2_vl', 'mistral3', 'lighton_ocr', 'glm_ocr',
]);

export function isImageTextToText(config: Record<string, unknown>): boolean {
  return IMAGE_TEXT_TO_TEXT_TYPES.has(String(config.model_type)) && config.vision_config != null;
}

export interface VisionLoadOptions {
  device: DeviceKind;
  common: { revision: string; progress_callback: (event: never) => void };
  dtype: { dtype?: 'fp32' };
}

export async function loadVisionModel(spec: ModelSpec, ctx: LoadContext, opts: VisionLoadOptions): Promise<LoadedModel> {
  const [processor, model] = await Promise.all([
    AutoProcessor.from_pretrained(spec.source.repo, opts.common as never),
    AutoModelForImageTextToText.from_pretrained(spec.source.repo, { ...opts.common, device: opts.device, ...opts.dtype } as never),
  ]);
  if (!processor.tokenizer) throw new Error(`Model '${spec.id}': its processor has no tokenizer.`);
  ctx.onProgress({ model: spec.id, phase: 'init', progress: 1, loaded: null, total: null, file: null, text: 'Initializing' });
  return new TransformersVisionModel(spec, processor, model, opts.device);
}

/** Processors whose call is `(images, text)`; the rest take `(text, images)`. */
const IMAGES_FIRST = [LlavaProcessor, PaliGemmaProcessor, Lfm2VlProcessor, PixtralProcessor] as const;

export class TransformersVisionModel extends TransformersModel {
  override readonly modalities: Modality[] = ['text', 'image'];

  constructor(spec: ModelSpec, private readonly processor: Processor, model: PreTrainedModel, device: DeviceKind) {
    super(spec, processor.tokenizer as PreTrainedTokenizer, model, device);
  }

  override async prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    const images = input.media?.images ?? [];
    let text: string;
    try {
      text = this.processor.apply_chat_template(toTemplateMessages(input.messages, true) as never, {
        tools: toTemplateTools(input.tools),
        add_generation_prompt: true,
        tokenize: false,
        ...input.templateKwargs,
      } as never) as unknown as string;
    } catch (err) {
      throw new BadRequestError(`The model's chat template rejected these messages: ${(err as Error).message}`, { param: 'messages' });
    }
    if (images.length === 0) return this.prepareText(text);
    let inputs: Record<string, unknown>;
    try {
      inputs = await this.process(text, images.map(toRawImage));
    } catch (err) {
      if (err instanceof BadRequestError) throw err;
      throw new BadRequestError(`The model's processor rejected these images: ${(err as Error).message}`, { param: 'messages' });
    }
    const { input_ids, attention_mask: _mask, ...modelInputs } = inputs;
    const tokenIds = Array.from((input_ids as Tensor).data as BigInt64Array, Number);
    return { text, tokenIds, modelInputs };
  }

  /** Text + pictures -> input_ids (image tokens expanded) and the vision inputs. */
  private async process(text: string, images: RawImage[]): Promise<Record<string, unknown>> {
    const p = this.processor as Processor & { config: Record<string, unknown> };
    if (p instanceof LlavaProcessor) {
      // LlavaProcessor expands only the first image token; expand every one of them.
      const imageToken = String(p.config.image_token ?? '<image>');
      const found = text.split(imageToken).length - 1;
      if (found !== images.length) {
        throw new BadRequestError(
          `The chat template placed ${found} image(s) but the messages carry ${images.length}; images are accepted in user messages only.`,
          { param: 'messages' },
        );
      }
      const imageInputs = (await p.image_processor!(images)) as Record<string, unknown>;
      const [height, width] = (imageInputs.pixel_values as Tensor).dims.slice(-2) as [number, number];
      const patch = Number(p.config.patch_size);
      const perImage = Math.floor(height / patch) * Math.floor(width / patch) + Number(p.config.num_additional_image_tokens ?? 0);
      const expanded = text.split(imageToken).join(imageToken.repeat(perImage));
      const textInputs = (this.tokenizer as unknown as (t: string, o: object) => Record<string, unknown>)(expanded, { add_special_tokens: false });
      return { ...imageInputs, ...textInputs };
    }
    const call = p as unknown as (a: unknown, b: unknown, c?: object) => Promise<Record<string, unknown>>;
    return IMAGES_FIRST.some((cls) => p instanceof cls) ? call(images, text) : call(text, images);
  }
}

function toRawImage(image: DecodedImage): RawImage {
  return new RawImage(image.data, image.width, image.height, 4);
}
