import { roomSegmentName } from "../../shared/document-names.ts";
import { deleteMessage, getMessage } from "../../shared/room-doc/index.ts";
import type { ClusterEvent } from "../cluster/bus.ts";
import type { Database } from "../db/database.ts";
import { sqlDocumentStore } from "../documents/document-store.ts";
import { segmentHolding } from "../rooms/segments.ts";
import { roomEffects } from "../sync/room-effects.ts";
import { NotFound } from "./operations-errors.ts";

/**
 * Delete a message as a moderator without a live server (the CLI on PostgreSQL): append the
 * deletion to the room's stored log with its relational effects, then make every process drop
 * its live copy so connected clients resync to it, and refresh the members' room lists.
 */
export async function deleteStoredMessage(
  db: Database,
  publish: (event: ClusterEvent) => Promise<void>,
  roomId: string,
  messageId: string,
  actorUserId: string | null,
): Promise<void> {
  const segment = await segmentHolding(db, roomId, messageId);
  const documentName = roomSegmentName(roomId, segment);
  const changed = await db.transaction(async (tx) => {
    const { result, doc, changed } = await sqlDocumentStore(db)
      .in(tx)
      .appendChange(documentName, actorUserId, (d) => {
        const message = getMessage(d, messageId);
        if (!message) return false;
        deleteMessage(d, { message_id: messageId, actor_id: actorUserId ?? message.sender_id, may_moderate: true });
        return true;
      });
    if (!result) throw new NotFound(`Room ${roomId} has no message ${messageId}.`);
    // Named as a deletion, so event streams get message.deleted (written with the mirror).
    const touched = {
      messageIds: new Set([messageId]),
      receiptUserIds: new Set<string>(),
      messageFields: new Map([[messageId, new Set(["deleted"])]]),
    };
    await roomEffects(doc, roomId, touched, false, segment)?.(tx);
    doc.destroy();
    return changed;
  });
  if (!changed) return;
  await publish({ type: "documents_rewritten", documentNames: [documentName] });
  await publish({ type: "room_changed", roomId });
}
