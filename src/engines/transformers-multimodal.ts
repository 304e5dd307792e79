import {
  AutoModelForAudioTextToText,
  AutoModelForImageTextToText,
  AutoProcessor,
  Lfm2VlProcessor,
  LlavaProcessor,
  PaliGemmaProcessor,
  PixtralProcessor,
  Qwen2VLProcessor,
  RawImage,
  UltravoxProcessor,
  GraniteSpeechProcessor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
  type Tensor,
} from '@huggingface/transformers';
import type { LoadContext, LoadedModel, ModelSpec, PreparedPrompt, PromptInput } from '../core/engine.js';
import { resample } from '../core/media/resample.js';
import type { DecodedAudio, DecodedImage } from '../core/media/types.js';
import { BadRequestError } from '../protocol/errors.js';
import type { DeviceKind, Modality } from '../protocol/models.js';
import { renderChatTemplate } from './hf-chat.js';
import { TransformersModel } from './transformers.js';
import { qwenVisionInputs, readVideoSettings, type VideoSettings } from './transformers-video.js';

/**
 * transformers.js multimodal chat models: image-text-to-text (AutoModelForImageTextToText)
 * and audio-text-to-text (AutoModelForAudioTextToText), both through the model's own
 * AutoProcessor. The processor renders the chat template with image/audio placeholders,
 * expands them, and turns the pictures (already decoded in the worker by core) into
 * pixel_values, or the audio into features; the generation loop, sampler and stopping
 * are TransformersModel's, unchanged. Qwen2-VL also takes videos (transformers/qwen2-vl-video.ts).
 */

/** `model_type`s that transformers.js runs as chat vision-language models. */
export const IMAGE_TEXT_TO_TEXT_TYPES = new Set([
  'llava', 'llava_onevision', 'llava_qwen2', 'idefics3', 'smolvlm',
  'qwen2_vl', 'qwen2_5_vl', 'qwen3_vl', 'qwen3_vl_moe', 'qwen3_5', 'qwen3_5_moe',
  'gemma3', 'lfm2_vl', 'mistral3', 'lighton_ocr', 'glm_ocr',
]);

/**
 * `model_type`s that take `video_url` parts: Qwen2-VL, whose vision encoder takes a video as
 * a stack of frames (grid_t > 1) and whose 3-D rope positions are the same for a video as for
 * an image of that grid. (Qwen2.5-VL / Qwen3-VL also scale the temporal positions by the
 * frames' timing, which this path does not model: not listed.)
 */
export const VIDEO_TEXT_TO_TEXT_TYPES = new Set(['qwen2_vl']);

/** `model_type`s that transformers.js runs as chat audio-language models (one clip per request). */
export const AUDIO_TEXT_TO_TEXT_TYPES = new Set(['ultravox', 'granite_speech']);

export type MultimodalKind = 'image' | 'audio';

export function multimodalKind(config: Record<string, unknown>): MultimodalKind | null {
  const type = String(config.model_type);
  if (IMAGE_TEXT_TO_TEXT_TYPES.has(type) && config.vision_config != null) return 'image';
  if (AUDIO_TEXT_TO_TEXT_TYPES.has(type)) return 'audio';
  return null;
}

export interface MultimodalLoadOptions {
  device: DeviceKind;
  common: { revision: string; progress_callback: (event: never) => void };
  dtype: { dtype?: 'fp32' };
}

export async function loadMultimodalModel(
  spec: ModelSpec,
  ctx: LoadContext,
  kind: MultimodalKind,
  opts: MultimodalLoadOptions,
): Promise<LoadedModel> {
  const Model = kind === 'image' ? AutoModelForImageTextToText : AutoModelForAudioTextToText;
  const [processor, model] = await Promise.all([
    AutoProcessor.from_pretrained(spec.source.repo, opts.common as never),
    Model.from_pretrained(spec.source.repo, { ...opts.common, device: opts.device, ...opts.dtype } as never),
  ]);
  if (!processor.tokenizer) throw new Error(`Model '${spec.id}': its processor has no tokenizer.`);
  const type = String((model as unknown as { config: { model_type?: string } }).config.model_type);
  const video = kind === 'image' && VIDEO_TEXT_TO_TEXT_TYPES.has(type) && processor instanceof Qwen2VLProcessor
    ? await readVideoSettings(spec, opts.common.revision, processor)
    : null;
  ctx.onProgress({ model: spec.id, phase: 'init', progress: 1, loaded: null, total: null, file: null, text: 'Initializing' });
  return new TransformersMultimodalModel(spec, processor, model as PreTrainedModel, opts.device, kind, video);
}

/** Processors whose call is `(images, text)`; the rest take `(text, images)`. */
const IMAGES_FIRST = [LlavaProcessor, PaliGemmaProcessor, Lfm2VlProcessor, PixtralProcessor] as const;
/** Processors that take one audio clip (a Float32Array), not a list. */
const ONE_CLIP = [UltravoxProcessor, GraniteSpeechProcessor] as const;

type ProcessorWithConfig = Processor & { config: Record<string, unknown> };

export class TransformersMultimodalModel extends TransformersModel {
  override readonly modalities: Modality[];

  constructor(
    spec: ModelSpec,
    private readonly processor: Processor,
    model: PreTrainedModel,
    device: DeviceKind,
    readonly kind: MultimodalKind,
    /** Set for models that take videos. */
    private readonly video: VideoSettings | null = null,
  ) {
    super(spec, processor.tokenizer as PreTrainedTokenizer, model, device);
    this.modalities = video ? ['text', kind, 'video'] : ['text', kind];
  }

  override async prepareChat(input: PromptInput): Promise<PreparedPrompt> {
    const images = input.media?.images ?? [];
    const audio = input.media?.audio ?? [];
    const videos = input.media?.videos ?? [];
    const text = renderChatTemplate(this.processor, input, true);
    if (images.length === 0 && audio.length === 0 && videos.length === 0) return this.prepareText(text);
    let inputs: Record<string, unknown>;
    try {
      inputs = this.video && videos.length
        ? await qwenVisionInputs(this.processor as Qwen2VLProcessor, this.video, text, images, videos, (t) => this.tokenize(t))
        : this.kind === 'image' ? await this.processImages(text, images) : await this.processAudio(text, audio);
    } catch (err) {
      if (err instanceof BadRequestError) throw err;
      throw new BadRequestError(`The model's processor rejected this input: ${(err as Error).message}`, { param: 'messages' });
    }
    const { input_ids, attention_mask: _mask, ...modelInputs } = inputs;
    const tokenIds = Array.from((input_ids as Tensor).data as BigInt64Array, Number);
    return { text, tokenIds, modelInputs };
  }

  /** Text + pictures -> input_ids (image tokens expanded) and the vision inputs. */
  private async processImages(text: string, decoded: DecodedImage[]): Promise<Record<string, unknown>> {
    const p = this.processor as ProcessorWithConfig;
    const images = decoded.map((image) => new RawImage(image.data, image.width, image.height, 4));
    if (p instanceof LlavaProcessor) {
      // LlavaProcessor expands only the first image token; expand every one of them.
      const imageToken = String(p.config.image_token ?? '<image>');
      checkPlaceholders(text, imageToken, images.length, 'image');
      const imageInputs = (await p.image_processor!(images)) as Record<string, unknown>;
      const [height, width] = (imageInputs.pixel_values as Tensor).dims.slice(-2) as [number, number];
      const patch = Number(p.config.patch_size);
      const perImage = Math.floor(height / patch) * Math.floor(width / patch) + Number(p.config.num_additional_image_tokens ?? 0);
      const expanded = text.split(imageToken).join(imageToken.repeat(perImage));
      return { ...imageInputs, ...this.tokenize(expanded) };
    }
    const call = p as unknown as (a: unknown, b: unknown) => Promise<Record<string, unknown>>;
    return IMAGES_FIRST.some((cls) => p instanceof cls) ? call(images, text) : call(text, images);
  }

  /** Text + clips -> input_ids (audio tokens expanded) and the audio features. */
  private async processAudio(text: string, clips: DecodedAudio[]): Promise<Record<string, unknown>> {
    const p = this.processor as ProcessorWithConfig;
    const rate = Number((p.feature_extractor as { config?: { sampling_rate?: number } } | undefined)?.config?.sampling_rate ?? 16000);
    const samples = clips.map((clip) => {
      if (!clip.samples || !clip.sampleRate) {
        throw new BadRequestError(
          `messages[${clip.message}].content[${clip.part}]: ${clip.format.toUpperCase()} audio cannot be decoded in the engine host; send WAV (PCM or float).`,
          { param: `messages[${clip.message}].content[${clip.part}]`, code: 'unsupported_audio_format' },
        );
      }
      return resample(clip.samples, clip.sampleRate, rate);
    });
    const call = p as unknown as (a: unknown, b: unknown) => Promise<Record<string, unknown>>;
    if (ONE_CLIP.some((cls) => p instanceof cls)) {
      if (samples.length > 1) {
        const extra = clips[1]!;
        throw new BadRequestError(`messages[${extra.message}].content[${extra.part}]: model '${this.id}' takes one audio clip per request.`, {
          param: `messages[${extra.message}].content[${extra.part}]`, code: 'too_many_audio_clips',
        });
      }
      const placeholder = String(p.config.audio_placeholder ?? p.config.audio_token ?? '<|audio|>');
      checkPlaceholders(text, placeholder, 1, 'audio clip');
      return call(text, samples[0]);
    }
    return call(text, samples);
  }

  private tokenize(text: string): Record<string, unknown> {
    return (this.tokenizer as unknown as (t: string, o: object) => Record<string, unknown>)(text, { add_special_tokens: false });
  }
}

function checkPlaceholders(text: string, placeholder: string, expected: number, what: string): void {
  const found = text.split(placeholder).length - 1;
  if (found !== expected) {
    throw new BadRequestError(
      `The chat template placed ${found} ${what} placeholder(s) for ${expected} ${what}(s); media is accepted in user messages only.`,
      { param: 'messages' },
    );
  }
}
