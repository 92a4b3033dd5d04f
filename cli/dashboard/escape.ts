/** Everything the pages show from the cluster goes through here: names, messages and reasons are user text. */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A path segment of the dashboard's own URLs (namespace and name are DNS labels, but never trust that). */
export function pathPart(text: string): string {
  return encodeURIComponent(text);
}
