// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Api } from "../../client/api/http.ts";
import { MessageItem } from "../../client/rooms/MessageItem.tsx";
import { type Chat, ChatContext } from "../../client/session/chat-context.tsx";
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
const item = (props: Partial<Parameters<typeof MessageItem>[0]> = {}, options: Parameters<typeof render>[1] = {}) =>
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
    options,
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
    expect(screen.getByRole("img", { name: "seen" })).toBeTruthy();
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

describe("a message's attachments", () => {
  const photo = {
    id: "0190c000-0000-7000-8000-0000000000a1",
    kind: "image" as const,
    name: "summit.jpg",
    mime: "image/jpeg",
    size: 2_400_000,
    width: 4000,
    height: 3000,
  };
  const plan = {
    id: "0190c000-0000-7000-8000-0000000000a2",
    kind: "file" as const,
    name: "plan.pdf",
    mime: "application/pdf",
    size: 2_516_582,
    width: null,
    height: null,
  };
  // No server here: the picture cannot load, which is the moment its reserved size matters.
  const chat = {
    session: { token: "t", user: { id: me, username: "ana", display_name: "Ana", avatar_url: null } },
    api: new Api(() => "t"),
  } as unknown as Chat;

  it("keeps an image's room at its thumbnail size before it loads, and shows a file's name, size and type", async () => {
    item(
      { message: message({ type: "image", content: null, attachments: [photo, plan] }) },
      { wrapper: ({ children }) => <ChatContext.Provider value={chat}>{children}</ChatContext.Provider> },
    );
    const list = screen.getByRole("list", { name: "Attachments" });
    const frame = list.querySelector<HTMLButtonElement>(".inline-image");
    expect({ width: frame?.style.width, height: frame?.style.height }).toEqual({ width: "320px", height: "240px" });
    expect(screen.getByText("plan.pdf").closest("figure")?.textContent).toContain("2.4 MB · application/pdf");
    expect(screen.getByRole("button", { name: "Download" })).toBeTruthy();
    expect(screen.getByRole("article").getAttribute("aria-label")).toBe("You: summit.jpg, plan.pdf");
    await screen.findByText("summit.jpg (offline)");
  });
});
