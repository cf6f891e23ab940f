import * as Y from "yjs";

/** Where an item sits in a room document, in the schema's terms. */
export type Location =
  /** A key of a top-level map (`messages`, `reactions`, …); `key` null means list-like content. */
  | { kind: "root"; root: string; key: string | null }
  /** A field of the message whose nested map is held by the item `holder`. */
  | { kind: "field"; messageId: string; key: string | null; holder: Y.Item }
  /** Anywhere deeper, or under a parent that is not a message map: outside the schema. */
  | { kind: "outside" };

/** An item is identified by the struct that contains its id; updates may hold items of any length. */
type Structs = Map<number, Array<Y.Item | Y.GC | Y.Skip>>;

/** Index the structs of a decoded update by client, sorted by clock, for lookups by id. */
export function indexStructs(structs: Array<Y.Item | Y.GC | Y.Skip>): Structs {
  const byClient: Structs = new Map();
  for (const s of structs) {
    const list = byClient.get(s.id.client) ?? [];
    list.push(s);
    byClient.set(s.id.client, list);
  }
  for (const list of byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock);
  return byClient;
}

function findInUpdate(index: Structs, id: Y.ID): Y.Item | null {
  const list = index.get(id.client);
  if (!list) return null;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = list[mid] as Y.Item | Y.GC | Y.Skip;
    if (id.clock < s.id.clock) hi = mid - 1;
    else if (id.clock >= s.id.clock + s.length) lo = mid + 1;
    else return s instanceof Y.Item ? s : null;
  }
  return null;
}

/** The item with `id` in the server's document, or null when it does not have it. */
export function findInDoc(doc: Y.Doc, id: Y.ID): Y.Item | null {
  if (id.clock >= Y.getState(doc.store, id.client)) return null;
  const found = Y.getItem(doc.store, id);
  return found instanceof Y.Item ? found : null;
}

/** Resolves where items of one update sit, looking in the update itself and in the server's document. */
export class Locator {
  private readonly cache = new Map<Y.Item, Location | null>();

  constructor(
    private readonly doc: Y.Doc,
    private readonly update: Structs,
  ) {}

  /** An item by id: the update's own items first (new), then the server document's. */
  item(id: Y.ID): Y.Item | null {
    return findInUpdate(this.update, id) ?? findInDoc(this.doc, id);
  }

  /** Where `item` sits; null when it refers to items neither the update nor the server has. */
  locate(item: Y.Item): Location | null {
    const cached = this.cache.get(item);
    if (cached !== undefined) return cached;
    const location = this.resolve(item);
    this.cache.set(item, location);
    return location;
  }

  private resolve(item: Y.Item): Location | null {
    const parent = item.parent as Y.AbstractType<unknown> | Y.ID | string | null;
    // Integrated items (the server's own) know their parent type.
    if (parent instanceof Y.AbstractType) {
      const holder = parent._item;
      if (holder === null) return { kind: "root", root: Y.findRootTypeKey(parent), key: item.parentSub };
      return this.fieldOf(holder, item.parentSub);
    }
    // A decoded item names its parent only when it has no neighbours; otherwise it shares theirs.
    if (typeof parent === "string") return { kind: "root", root: parent, key: item.parentSub };
    if (parent instanceof Y.ID) {
      const holder = this.item(parent);
      return holder ? this.fieldOf(holder, item.parentSub) : null;
    }
    const neighbourId = item.origin ?? item.rightOrigin;
    const neighbour = neighbourId ? this.item(neighbourId) : null;
    if (!neighbour) return null;
    // Neighbours of a map entry are earlier values of the same key (of list content, list
    // content): the item sits exactly where its neighbour does.
    return this.locate(neighbour);
  }

  /** A child of `holder`: a message field when `holder` is a message map in `messages`. */
  private fieldOf(holder: Y.Item, key: string | null): Location | null {
    const at = this.locate(holder);
    if (!at) return null;
    if (at.kind === "root" && at.root === "messages" && at.key !== null && holder.content instanceof Y.ContentType) {
      return { kind: "field", messageId: at.key, key, holder };
    }
    return { kind: "outside" };
  }
}
