import { type UIEvent, useCallback, useMemo, useRef } from "react";
import type { VirtuosoHandle } from "react-virtuoso";

// How close to the top (in pixels) the reader gets before older messages are shown.
const LOAD_MARGIN_PX = 600;
// How close to the bottom counts as "at the bottom": new messages keep the view there.
const STUCK_MARGIN_PX = 48;
// How many frames a revealed message may take to be rendered before it is focused.
const REVEAL_FRAMES = 120;

/** What `useLogScroll` hands the windowed list (`MessageLog`) and the room. */
export type LogScroll = ReturnType<typeof useLogScroll>;

/**
 * How a room's message log scrolls, as in the chat apps people know: it opens at the bottom and
 * stays there while messages arrive (and pictures load), unless the reader scrolled up; scrolling
 * towards the top shows older messages by itself (`loadOlder`), the list keeping the message being
 * read where it was; my own sends always bring the view down to them.
 *
 * The list is windowed (react-virtuoso): what is on screen is asked of it by index, not of the DOM.
 */
export function useLogScroll(options: { canLoadOlder: boolean; loadOlder(): void }) {
  const { canLoadOlder, loadOlder } = options;
  const list = useRef<VirtuosoHandle>(null);
  const stuck = useRef(true);
  // Unknown until the first scroll event: the list opens at the bottom without necessarily sending one.
  const lastTop = useRef<number | null>(null);

  const onScroll = useCallback(
    (event: UIEvent<HTMLElement>) => {
      const el = event.currentTarget;
      // Only the reader moving up lets go of the bottom: content that grew between a scroll and its
      // event (my own message arriving, older ones added above) must not.
      // A first event away from the bottom is the reader's: the list opened there, and had it sent
      // no event yet, the reader's first move up would not let go and rows measured meanwhile
      // would take the view back down (seen on a busy machine).
      if (el.scrollHeight - el.scrollTop - el.clientHeight < STUCK_MARGIN_PX) stuck.current = true;
      else if (lastTop.current === null || el.scrollTop < lastTop.current - 1) stuck.current = false;
      lastTop.current = el.scrollTop;
      if (el.scrollTop < LOAD_MARGIN_PX && canLoadOlder) loadOlder();
    },
    [canLoadOlder, loadOlder],
  );

  const toBottom = useCallback(() => list.current?.scrollToIndex({ index: "LAST", align: "end" }), []);

  // The list follows new items by itself; this also follows what grows without a new item
  // (a picture loading, "Seen by" appearing, the outbox's upload progress).
  const keepAtBottom = useCallback(() => {
    if (stuck.current) toBottom();
  }, [toBottom]);

  const followOutput = useCallback((atBottom: boolean) => (atBottom || stuck.current ? ("auto" as const) : false), []);

  const followMine = useCallback(() => {
    stuck.current = true;
    toBottom();
  }, [toBottom]);

  /** Stop following the bottom (a jump to an older message). */
  const release = useCallback(() => {
    stuck.current = false;
  }, []);

  /**
   * Scroll the item at `index` (of the list's items) into view and focus the element `elementId`
   * once the list has rendered it; `flash` marks it for a moment (a search result, a quoted message).
   */
  const reveal = useCallback((index: number, elementId: string, flash: boolean) => {
    list.current?.scrollToIndex({ index, align: "center" });
    let frames = 0;
    const focusWhenRendered = () => {
      const target = document.getElementById(elementId);
      if (!target) {
        if (++frames < REVEAL_FRAMES) requestAnimationFrame(focusWhenRendered);
        return;
      }
      target.focus({ preventScroll: true });
      if (!flash) return;
      target.classList.add("flash");
      setTimeout(() => target.classList.remove("flash"), 2500);
    };
    requestAnimationFrame(focusWhenRendered);
  }, []);

  return useMemo(
    () => ({ list, onScroll, followOutput, keepAtBottom, followMine, release, reveal }),
    [onScroll, followOutput, keepAtBottom, followMine, release, reveal],
  );
}
