/** The content filter: word, pattern and blocked-domain rules, applied by the server and the app alike. */
export { ContentFilter, type FilterVerdict } from "./filter.ts";
export {
  type ContentFilterMode,
  type ContentFilterRules,
  contentFilterModeSchema,
  contentFilterRulesSchema,
  NO_CONTENT_FILTER,
} from "./rules.ts";
