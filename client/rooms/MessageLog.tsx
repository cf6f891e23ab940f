import { type KeyboardEvent, type ReactNode, useMemo, useState } from "react";
import { GroupedVirtuoso } from "react-virtuoso";
import { groupByDay, type LogItem } from "../room/days.ts";
import type { TimelineRow } from "../room/timeline.ts";
import type { LogScroll } from "./use-log-scroll.ts";

// Rendered beyond each edge of the view, so scrolling and the arrow keys find their rows ready.
const OVERSCAN_PX = 600;

/** What the list's header and footer show: stable components read it from the list's context. */
type Edges = { header: ReactNode; footer: ReactNode };

/**
 * A room's `log` "Messages", windowed: only the rows near the view are in the DOM, so a room of
 * 20,000 messages scrolls like one of 20. Each day's heading stays in view while its messages do.
 *
 * `rows` are the timeline of the messages shown, `firstIndex` the index of the first one among all
 * the room's messages: it goes down as older pages are shown above, and the list keeps the
 * reader's place by it. The keyboard moves the log's one tab stop from message to message.
 */
export function MessageLog(props: {
  rows: readonly TimelineRow[];
  firstIndex: number;
  scroll: LogScroll;
  renderMessage(item: LogItem): ReactNode;
  header?: ReactNode;
  footer?: ReactNode;
}) {
  const { rows, firstIndex, scroll, renderMessage } = props;
  const { days, items } = useMemo(() => groupByDay(rows), [rows]);
  const edges: Edges = { header: props.header, footer: props.footer };
  // Open at the newest. Only when there is one: asked to start at an item it does not have yet, the
  // list stays hidden; messages arriving later are followed to the bottom instead.
  const [openAt] = useState(() => (items.length > 0 ? ({ index: "LAST", align: "end" } as const) : undefined));

  // Arrow keys go to the next message (rendered: the list renders beyond the view); Home and End
  // to the first and last shown, which the list may have to render first.
  const moveFocus = (event: KeyboardEvent<HTMLElement>) => {
    const current = (event.target as HTMLElement).closest("article");
    if (!current || event.target !== current) return;
    if (event.key === "Home" || event.key === "End") {
      const index = event.key === "Home" ? 0 : items.length - 1;
      const item = items[index];
      if (!item) return;
      event.preventDefault();
      scroll.release();
      scroll.reveal(index, `m-${item.message.id}`, false);
      return;
    }
    const step = event.key === "ArrowUp" ? -1 : event.key === "ArrowDown" ? 1 : 0;
    if (step === 0) return;
    const all = [...event.currentTarget.querySelectorAll<HTMLElement>("article.message")];
    const next = all[all.indexOf(current) + step];
    if (!next) return;
    event.preventDefault();
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  };

  return (
    <GroupedVirtuoso<unknown, Edges>
      ref={scroll.list}
      role="log"
      aria-label="Messages"
      className="log"
      // The log itself is no tab stop: its newest (or last focused) message is.
      tabIndex={undefined}
      onKeyDown={moveFocus}
      onScroll={scroll.onScroll}
      context={edges}
      components={{ Header: LogHeader, Footer: LogFooter }}
      groupCounts={days.map((d) => d.count)}
      firstItemIndex={firstIndex}
      initialTopMostItemIndex={openAt}
      increaseViewportBy={{ top: OVERSCAN_PX, bottom: OVERSCAN_PX }}
      followOutput={scroll.followOutput}
      totalListHeightChanged={scroll.keepAtBottom}
      groupContent={(index) => (
        <h3 className="day">
          <span>{days[index]?.label}</span>
        </h3>
      )}
      itemContent={(index) => {
        const item = items[index - firstIndex];
        return (
          item && (
            <div className="log-row">
              {item.unreadAbove && (
                <div className="divider">
                  <hr />
                  New messages
                </div>
              )}
              {renderMessage(item)}
            </div>
          )
        );
      }}
    />
  );
}

function LogHeader({ context }: { context: Edges }) {
  return context.header ? <div className="log-edge">{context.header}</div> : null;
}

function LogFooter({ context }: { context: Edges }) {
  return <div className="log-edge">{context.footer}</div>;
}
