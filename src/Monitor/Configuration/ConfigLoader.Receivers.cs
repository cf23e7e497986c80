namespace Monitor.Configuration;

internal static partial class ConfigLoader
{
    private static List<ReceiverOptions> ReadReceivers(YamlMap root, IReadOnlyList<IReceiverKind> kinds)
    {
        var result = new List<ReceiverOptions>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, path) in root.Sequence("receivers") ?? [])
        {
            var map = YamlMap.From(root.Context, node, path);
            if (map is null)
            {
                continue;
            }

            var ctx = map.Context;
            string? name = map.String("name", required: true);
            if (name is not null && !Names.IsObjectName(name))
            {
                ctx.Error(map.Get("name")!.Start, $"{path}.name: invalid receiver name \"{name}\" ({Names.ObjectNameRule})");
                name = null;
            }
            else if (name is not null && !seen.Add(name))
            {
                ctx.Error(map.Get("name")!.Start, $"{path}.name: duplicate receiver name \"{name}\"");
                name = null;
            }

            var present = kinds.Where(k => map.Has(k.Key)).ToList();
            if (present.Count != 1)
            {
                ctx.Error(map.Start, present.Count == 0
                    ? $"{path}: a receiver needs exactly one of {string.Join(", ", kinds.Select(k => k.Key))}"
                    : $"{path}: a receiver has exactly one kind, found {string.Join(" and ", present.Select(k => k.Key))}");
                map.Finish();
                continue;
            }

            var kind = present[0];
            var settings = kind.Read(map.Map(kind.Key));
            map.Finish();
            if (settings is not null && name is not null)
            {
                result.Add(new ReceiverOptions { Name = name, Kind = kind, Settings = settings });
            }
        }

        return result;
    }
}
