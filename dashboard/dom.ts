/** The page's HTML, built by hand, and the frame every panel shares: a title, a subtitle, a body. */

export type Child = Node | string | null | undefined | false;
/** An HTML element with its attributes and children; a falsy child is left out. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}

/** A panel that says "загрузка…" until its body is shown. */
export function panel(
  title: string,
  subtitle: string,
  wide = false,
): { root: HTMLElement; body: HTMLElement } {
  const body = el('div', {}, el('div', { class: 'empty' }, 'загрузка…'));
  const root = el(
    'section',
    { class: wide ? 'panel wide' : 'panel' },
    el('h2', {}, title),
    el('div', { class: 'sub' }, subtitle),
    body,
  );
  return { root, body };
}
/** Replaces a panel's body. */
export function show(body: HTMLElement, ...children: Child[]): void {
  body.replaceChildren(...children.filter((child): child is Node | string => Boolean(child)));
}
/** A panel's body when its endpoint failed: "нет данных" and the error. */
export function unavailable(body: HTMLElement, answer: { status: number; message: string }): void {
  show(
    body,
    el('div', { class: 'empty' }, 'нет данных', el('br'), el('span', { class: 'error' }, answer.message)),
  );
}
