/**
 * Route picker: a labelled group of checkboxes built from the routes seen so far, plus an
 * "All routes" button. Keyboard: Tab enters the list once (roving tabindex), arrow keys / Home /
 * End move between routes, Space toggles. Browser-only (DOM).
 */
import { compareRoutes } from './routes.js';

export interface RoutePickerOptions {
  /** Container for the checkboxes (inside a `<fieldset>` whose `<legend>` labels the group). */
  list: HTMLElement;
  /** Clears the selection (= all routes). */
  allButton: HTMLButtonElement;
  /** Short text saying what is selected. */
  summary: HTMLElement;
  /** Called (debounced) when the selection changes. */
  onChange: (selection: string[]) => void;
  debounceMs?: number;
}

export class RoutePicker {
  private readonly boxes = new Map<string, HTMLInputElement>();
  private readonly selection = new Set<string>();
  /** Whether focus has been in the list; until then its one tab stop is the first route in display order. */
  private tabStopChosen = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: RoutePickerOptions) {
    opts.allButton.addEventListener('click', () => {
      if (this.selection.size === 0) return;
      this.selection.clear();
      for (const box of this.boxes.values()) box.checked = false;
      this.changed();
    });
    opts.list.addEventListener('change', (e) => {
      const box = e.target;
      if (!(box instanceof HTMLInputElement) || box.type !== 'checkbox') return;
      if (box.checked) this.selection.add(box.value);
      else this.selection.delete(box.value);
      this.changed();
    });
    opts.list.addEventListener('keydown', (e) => this.onKeydown(e));
    opts.list.addEventListener('focusin', (e) => {
      if (!(e.target instanceof HTMLInputElement)) return;
      this.tabStopChosen = true;
      this.setTabStop(e.target);
    });
    this.updateSummary();
  }

  /** Routes listed, in display order. */
  routes(): string[] {
    return [...this.boxes.keys()].sort(compareRoutes);
  }

  /** Routes chosen (empty = all). */
  selected(): string[] {
    return [...this.selection].sort(compareRoutes);
  }

  selectedSet(): ReadonlySet<string> {
    return this.selection;
  }

  /** Adds routes not listed yet, in order, without disturbing focus or checked state. */
  addRoutes(routes: Iterable<string>): void {
    for (const route of routes) {
      if (route === '' || this.boxes.has(route)) continue;
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = route;
      box.id = `route-${cssSafe(route)}`;
      box.tabIndex = -1;
      box.checked = this.selection.has(route);
      const label = document.createElement('label');
      label.className = 'route-option';
      label.append(box, document.createTextNode(route));
      const before = this.routes().find((r) => compareRoutes(route, r) < 0);
      const beforeLabel = before === undefined ? null : (this.boxes.get(before)?.parentElement ?? null);
      this.opts.list.insertBefore(label, beforeLabel);
      this.boxes.set(route, box);
    }
    // Routes arrive in feed order, not display order: Tab must enter the list at its top (route "1",
    // not whichever route happened to be seen first), until the user has focused a route themselves.
    const first = this.orderedBoxes()[0];
    if (!this.tabStopChosen && first) this.setTabStop(first);
    this.opts.list.classList.toggle('route-list--empty', this.boxes.size === 0);
  }

  /** Forgets every route and the selection (another agency: other routes); no `onChange`, the caller re-subscribes. */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.boxes.clear();
    this.selection.clear();
    this.tabStopChosen = false;
    this.opts.list.replaceChildren();
    this.opts.list.classList.add('route-list--empty');
    this.updateSummary();
  }

  private changed(): void {
    this.updateSummary();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.opts.onChange(this.selected());
    }, this.opts.debounceMs ?? 300);
  }

  private updateSummary(): void {
    const chosen = this.selected();
    this.opts.summary.textContent =
      chosen.length === 0
        ? 'Showing all routes'
        : `Showing ${chosen.length === 1 ? 'route' : 'routes'} ${chosen.join(', ')}`;
    this.opts.allButton.disabled = chosen.length === 0;
  }

  private orderedBoxes(): HTMLInputElement[] {
    return [...this.opts.list.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
  }

  private setTabStop(target: HTMLInputElement): void {
    for (const box of this.boxes.values()) box.tabIndex = box === target ? 0 : -1;
  }

  private onKeydown(e: KeyboardEvent): void {
    const boxes = this.orderedBoxes();
    const index = boxes.indexOf(e.target as HTMLInputElement);
    if (index < 0) return;
    let next: number;
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowRight':
        next = Math.min(boxes.length - 1, index + 1);
        break;
      case 'ArrowUp':
      case 'ArrowLeft':
        next = Math.max(0, index - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = boxes.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    const box = boxes[next];
    if (box) {
      this.setTabStop(box);
      box.focus();
    }
  }
}

function cssSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}
