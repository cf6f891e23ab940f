import { ContentFilter, type ContentFilterMode, type ContentFilterRules, type FilterVerdict } from "../../shared/content-filter/index.ts";
import type { Queryable } from "../db/database.ts";

/** The content filter bound to each room's mode (its admins' choice, else the server default). */
export class RoomContentFilter {
  readonly filter: ContentFilter;

  constructor(
    private readonly db: Queryable,
    readonly rules: ContentFilterRules,
  ) {
    this.filter = new ContentFilter(rules);
  }

  /** The room's mode, read each time: an admin's change applies at once on every process. */
  async modeOf(roomId: string): Promise<ContentFilterMode> {
    const { rows } = await this.db.query<{ content_filter: ContentFilterMode | null }>(
      "SELECT content_filter FROM chat_rooms WHERE id = $1",
      [roomId],
    );
    return rows[0]?.content_filter ?? this.rules.default_mode;
  }

  /** A REST write: the text to store (masked in a masking room) or why it is refused. */
  async judge(roomId: string, text: string): Promise<FilterVerdict> {
    if (!this.filter.active) return { ok: true, text, masked: false };
    return this.filter.judge(text, await this.modeOf(roomId));
  }

  /** `judgeWritten` with the room's mode already known (a loaded room keeps it): no query. */
  judgeWrittenIn(roomMode: ContentFilterMode | null, texts: string[]): Extract<FilterVerdict, { ok: false }> | null {
    if (!this.filter.active || texts.length === 0) return null;
    const mode = roomMode ?? this.rules.default_mode;
    for (const text of texts) {
      const verdict = this.filter.judgeWritten(text, mode);
      if (!verdict.ok) return verdict;
    }
    return null;
  }

  /** Texts a client wrote itself (WebSocket): the first refusal, or null when all may be stored as written. */
  async judgeWritten(roomId: string, texts: string[]): Promise<Extract<FilterVerdict, { ok: false }> | null> {
    if (!this.filter.active || texts.length === 0) return null;
    const mode = await this.modeOf(roomId);
    for (const text of texts) {
      const verdict = this.filter.judgeWritten(text, mode);
      if (!verdict.ok) return verdict;
    }
    return null;
  }
}
