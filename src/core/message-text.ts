/** A message's text: a string as is, or its text (and refusal) parts joined; media parts add nothing. */
export function messageText(content: string | ReadonlyArray<{ type: string; text?: string; refusal?: string }>): string {
  if (typeof content === 'string') return content;
  return content.map((p) => p.text ?? p.refusal ?? '').join('');
}
