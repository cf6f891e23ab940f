import { type ReactNode, useEffect, useRef } from "react";

/** A modal dialog (the native one: focus is trapped and Escape closes it). */
export function Dialog({
  title,
  onClose,
  children,
  className = "",
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    // Listen here rather than with `onClose`: the unmount below closes the dialog too, and the
    // event that queues must not reach a remounted dialog (StrictMode mounts twice).
    const closed = () => onCloseRef.current();
    dialog.addEventListener("close", closed);
    if (!dialog.open) dialog.showModal();
    return () => {
      dialog.removeEventListener("close", closed);
      dialog.close();
    };
  }, []);
  return (
    <dialog ref={ref} aria-label={title} className={`dialog ${className}`}>
      <h2>{title}</h2>
      {children}
    </dialog>
  );
}
