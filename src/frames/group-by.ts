/**
 * Groups items by a composite key (its parts compared as JSON), keeping first-appearance
 * order of the groups and of the items within each.
 * @example groupBy(rows, (r) => [r.method, r.layer]).forEach((group) => …)
 */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => readonly unknown[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = JSON.stringify(key(item));
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
