import { ScoreEvaluationParams, type ScoreEvaluationResponse } from '../../protocol/scoring.js';
import { unsupportedModel, type Endpoint } from './endpoint.js';

/**
 * LLaMA-Factory's score evaluation (`POST /v1/score/evaluation`): one reward per text, the
 * raw value of a one-label sequence-classification model at the text's last token. As
 * LLaMA-Factory does, texts are tokenized as they are (no special tokens added) and cut to
 * `max_length` tokens, or to the model's context.
 */
export const scoreEvaluationEndpoint: Endpoint<ScoreEvaluationParams, ScoreEvaluationResponse> = {
  schema: ScoreEvaluationParams,
  models: (p) => [{ id: p.model, param: 'model' }],
  async run(params, ctx) {
    const model = await ctx.model(params.model);
    if (!model.classify || model.labels?.length !== 1) throw unsupportedModel(model, 'is not a reward model (a sequence-classification model with one label)');
    const maxTokens = params.max_length ?? model.contextLength ?? undefined;
    const logits = await model.classify(params.messages.map((text) => ({ text, addSpecialTokens: false, maxTokens })), ctx.signal);
    return { id: ctx.newId('scoreval'), object: 'score.evaluation', model: params.model, scores: logits.map((row) => row[0]!) };
  },
};
