/** The page's error list: every failure is shown here, and the page keeps working. */

let list: HTMLElement | null = null;

/** Binds the list element (data-testid="errors"). */
export function bindErrors(element: HTMLElement): void {
  list = element;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Shows `error` on the page, prefixed with what was being done. */
export function showError(what: string, error: unknown): void {
  const item = document.createElement('li');
  item.className = 'error';
  item.setAttribute('role', 'alert');
  const text = document.createElement('span');
  text.textContent = `${what}: ${messageOf(error)}`;
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'dismiss';
  close.addEventListener('click', () => item.remove());
  item.append(text, close);
  list?.append(item);
}

/** Shows a notice (not an error: e.g. a backend fallback). */
export function showNotice(text: string): void {
  const item = document.createElement('li');
  item.className = 'notice';
  item.textContent = text;
  list?.append(item);
}

/** Removes every shown error and notice. */
export function clearErrors(): void {
  list?.replaceChildren();
}

/** Runs `task`, showing its failure instead of throwing. Returns whether it succeeded. */
export async function guarded(what: string, task: () => Promise<void> | void): Promise<boolean> {
  try {
    await task();
    return true;
  } catch (error) {
    showError(what, error);
    return false;
  }
}

/** Uncaught errors and rejections end up on the page as well. */
export function catchUncaught(): void {
  window.addEventListener('error', (e) => showError('unexpected error', e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => showError('unexpected error', e.reason));
}
