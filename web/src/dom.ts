// A tiny element builder: enough to keep views declarative without a framework to download and audit.

export type Child = Node | string | number | null | undefined | false | Child[]

type Handler = (event: Event) => void
export interface Props {
  [key: string]: unknown
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c)
    return
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
}

/**
 * `h('button', { type: 'button', onClick: fn }, 'Save')`. Keys starting with `on` become listeners, `class`
 * and `for` map to their DOM names, `false`/`null`/`undefined` leave the attribute out; other known
 * properties are set as properties (value, disabled, …), the rest (aria-*, data-*) as attributes.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2).toLowerCase(), value as Handler)
    } else if (key === 'class') {
      element.className = String(value)
    } else if (key === 'for') {
      element.setAttribute('for', String(value))
    } else if (key.includes('-') || !(key in element) || !Reflect.set(element, key, value)) {
      // Read-only properties (input.list, …) refuse the assignment; their attribute is what sets them.
      element.setAttribute(key, value === true ? '' : String(value))
    }
  }
  append(element, children)
  return element
}

/** Replaces everything inside `parent` with `children`. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

let counter = 0
/** A document-unique id, for label/for and aria-describedby pairs. */
export function uid(prefix: string): string {
  counter += 1
  return `${prefix}-${counter}`
}
