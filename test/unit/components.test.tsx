// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { MessageItem } from "../../client/rooms/MessageItem.tsx";
import { ConnectionBadge } from "../../client/ui/ConnectionStatus.tsx";
import type { MessageView } from "../../shared/room-doc/index.ts";

afterEach(cleanup);

const me = "0190c000-0000-7000-8000-00000000000a";
const message = (patch: Partial<MessageView> = {}): MessageView => ({
  id: "0190c000-0000-7000-8000-0000000000f1",
  sender_id: me,
  type: "text",
  content: "Intervals at six?",
  media_urls: [],
  attachments: [],
  location: null,
  reply_to_id: null,
  created_at: "2026-11-25T06:00:00.000Z",
  edited_at: null,
  deleted: false,
  system_event: null,
  seq: 3,
  reactions: {},
  ...patch,
});
const noop = () => {};
const item = (props: Partial<Parameters<typeof MessageItem>[0]> = {}) =>
  render(
    <MessageItem
      message={message()}
      me={me}
      state="saved"
      senderName="You"
      quoted={null}
      seenBy={[]}
      mayDelete
      onJumpTo={noop}
      onReply={noop}
      onEdit={noop}
      onReport={noop}
      onDelete={noop}
      onToggleReaction={noop}
      {...props}
    />,
  );

describe("the connection indicator", () => {
  it("says online, offline or syncing, and how many changes wait", () => {
    const { rerender } = render(<ConnectionBadge connection="online" waiting={0} />);
    expect(screen.getByRole("status", { name: "Connection" }).textContent).toBe("Online");
    rerender(<ConnectionBadge connection="offline" waiting={3} />);
    expect(screen.getByRole("status", { name: "Connection" }).textContent).toBe("Offline · 3 waiting");
    rerender(<ConnectionBadge connection="syncing" waiting={1} />);
    expect(screen.getByRole("status", { name: "Connection" }).textContent).toBe("Syncing · 1 waiting");
  });
});

describe("a message", () => {
  it("shows its state, edits and who saw it", () => {
    item({ message: message({ edited_at: "2026-11-25T06:01:00.000Z" }), state: "seen", seenBy: ["Ben"] });
    expect(screen.getByText("seen")).toBeTruthy();
    expect(screen.getByText(/edited/)).toBeTruthy();
    expect(screen.getByText("Seen by Ben")).toBeTruthy();
  });

  it("shows a deleted message as deleted, with nothing left to do to it", () => {
    item({ message: message({ deleted: true, content: null }) });
    expect(screen.getByText("This message was deleted")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Edit" })).toBeNull();
  });

  it("offers edit only on my own messages and reactions only once the server accepted them", () => {
    item({ message: message({ sender_id: "0190c000-0000-7000-8000-00000000000b", seq: null }), state: null, mayDelete: false });
    expect(screen.queryByRole("button", { name: "Edit" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    expect((screen.getByRole("button", { name: "React" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("offers Report on others' accepted messages, never on mine", () => {
    item();
    expect(screen.queryByRole("button", { name: "Report" })).toBeNull();
    cleanup();
    item({ message: message({ sender_id: "0190c000-0000-7000-8000-00000000000b" }), state: null, mayDelete: false });
    expect(screen.getByRole("button", { name: "Report" })).toBeTruthy();
  });

  it("toggles a reaction from the picker", () => {
    const toggled: string[] = [];
    item({ onToggleReaction: (emoji) => toggled.push(emoji) });
    fireEvent.click(screen.getByRole("button", { name: "React" }));
    fireEvent.click(screen.getByRole("button", { name: "React 🔥" }));
    expect(toggled).toEqual(["🔥"]);
  });
});
