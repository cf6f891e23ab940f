import { type ReactNode, useCallback, useRef, useState } from "react";
import { Dialog } from "./Dialog.tsx";

/** What a destructive action asks before it happens: what it is, what it does, and its button. */
export interface ConfirmRequest {
  title: string;
  body: string;
  confirm: string;
}

/**
 * Ask before a destructive action: `ask(request)` shows a dialog naming what the action does and
 * resolves true when the user confirms it (false on Cancel or Escape). Render `dialog` once.
 */
export function useConfirm(): { ask(request: ConfirmRequest): Promise<boolean>; dialog: ReactNode } {
  const [open, setOpen] = useState<ConfirmRequest | null>(null);
  const answer = useRef<((yes: boolean) => void) | null>(null);
  const settle = useCallback((yes: boolean) => {
    answer.current?.(yes);
    answer.current = null;
    setOpen(null);
  }, []);
  const ask = useCallback((request: ConfirmRequest) => {
    answer.current?.(false);
    setOpen(request);
    return new Promise<boolean>((resolve) => {
      answer.current = resolve;
    });
  }, []);
  const dialog = open ? (
    <Dialog title={open.title} onClose={() => settle(false)}>
      <p>{open.body}</p>
      <div className="row dialog-buttons">
        <button type="button" onClick={() => settle(false)}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={() => settle(true)}>
          {open.confirm}
        </button>
      </div>
    </Dialog>
  ) : null;
  return { ask, dialog };
}
