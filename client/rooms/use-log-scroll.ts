import { type RefObject, useCallback, useEffect, useLayoutEffect, useRef } from "react";

// How close to the top (in pixels) the reader gets before older messages are shown.
const LOAD_MARGIN_PX = 600;
// How close to the bottom counts as "at the bottom": new messages keep the view there.
const STUCK_MARGIN_PX = 48;

/**
 * How a room's message log scrolls, as in the chat apps people know: it opens at the bottom and
 * stays there while messages arrive (and pictures load), unless the reader scrolled up; scrolling
 * towards the top shows older messages by itself, keeping the message being read where it was;
 * my own sends always bring the view down to them.
 *
 * `shown` is how many messages are rendered; `loadOlder` renders more (it changes `shown`).
 */
export function useLogScroll(options: {
  log: RefObject<HTMLElement | null>;
  content: RefObject<HTMLElement | null>;
  shown: number;
  canLoadOlder: boolean;
  loadOlder(): void;
}): { onScroll(): void; loadOlderKeepingPlace(): void; followMine(): void; release(): void } {
  const { log, content, shown, canLoadOlder, loadOlder } = options;
  const stuck = useRef(true);
  // Where the view stood before older messages were added above: restored once they render.
  const anchor = useRef<{ shown: number; height: number; top: number } | null>(null);

  const loadOlderKeepingPlace = useCallback(() => {
    const el = log.current;
    if (!el || anchor.current || !canLoadOlder) return;
    anchor.current = { shown, height: el.scrollHeight, top: el.scrollTop };
    loadOlder();
  }, [log, shown, canLoadOlder, loadOlder]);

  const lastTop = useRef(0);
  const onScroll = useCallback(() => {
    const el = log.current;
    if (!el) return;
    // Only the reader moving up lets go of the bottom: content that grew between a scroll and its
    // event (my own message arriving) must not.
    if (el.scrollHeight - el.scrollTop - el.clientHeight < STUCK_MARGIN_PX) stuck.current = true;
    else if (el.scrollTop < lastTop.current - 1) stuck.current = false;
    lastTop.current = el.scrollTop;
    if (el.scrollTop < LOAD_MARGIN_PX && canLoadOlder && el.scrollHeight > el.clientHeight) loadOlderKeepingPlace();
  }, [log, canLoadOlder, loadOlderKeepingPlace]);

  // Runs before paint: the reader never sees the jump the added height would make.
  useLayoutEffect(() => {
    const el = log.current;
    const at = anchor.current;
    if (!el || !at || shown === at.shown) return;
    el.scrollTop = at.top + (el.scrollHeight - at.height);
    anchor.current = null;
  }, [log, shown]);

  // Whatever grows the log (a message, a picture loading, the typing line) keeps a reader at the bottom there.
  useEffect(() => {
    const el = log.current;
    const inner = content.current;
    if (!el || !inner) return;
    const keep = () => {
      if (stuck.current && !anchor.current) el.scrollTop = el.scrollHeight;
    };
    keep();
    const observer = new ResizeObserver(keep);
    observer.observe(inner);
    observer.observe(el);
    return () => observer.disconnect();
  }, [log, content]);

  const followMine = useCallback(() => {
    stuck.current = true;
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [log]);

  /** Stop following the bottom (a jump to an older message). */
  const release = useCallback(() => {
    stuck.current = false;
  }, []);

  return { onScroll, loadOlderKeepingPlace, followMine, release };
}
