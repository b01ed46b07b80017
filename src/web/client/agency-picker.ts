/**
 * The agency picker: a labelled `<select>` of the agencies the server lists in `/api/config`,
 * shown only when there is more than one to choose from. Choosing one calls `onChange`; the page
 * then re-subscribes (the server sends that agency's snapshot).
 */
export class AgencyPicker {
  private current: string | null = null;

  constructor(
    private readonly opts: {
      /** Wraps the label and the select; hidden while there is nothing to pick. */
      container: HTMLElement;
      select: HTMLSelectElement;
      onChange: (agency: string) => void;
    },
  ) {
    opts.select.addEventListener('change', () => {
      const value = opts.select.value;
      if (value === this.current) return;
      this.current = value;
      opts.onChange(value);
    });
  }

  /** The agency chosen; null when the server has at most one (then `subscribe` names none). */
  selected(): string | null {
    return this.current;
  }

  /** The agencies offered, in the server's order. */
  agencies(): string[] {
    return [...this.opts.select.options].map((o) => o.value);
  }

  /** Takes the server's list; keeps the choice if it is still offered, else the server's default (the first). */
  setAgencies(agencies: readonly string[]): void {
    const { container, select } = this.opts;
    container.hidden = agencies.length < 2;
    if (agencies.length < 2) {
      select.replaceChildren();
      this.current = null;
      return;
    }
    select.replaceChildren(...agencies.map((a) => new Option(a, a)));
    this.current = this.current !== null && agencies.includes(this.current) ? this.current : agencies[0]!;
    select.value = this.current;
  }
}
