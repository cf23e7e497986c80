using Monitor.Metrics;

namespace Monitor.Rules.Evaluation;

/// <summary>
/// The vectors and key lists an instant evaluation uses for one node and then lets go, kept for the next node
/// and the next rule, and the sets the joins and duplicate checks fill and empty again: a rule tick reuses them
/// instead of allocating each anew for every node of every rule (Prometheus' engine pools its vectors the
/// same way). One evaluation at a time uses a pool: the rule engine evaluates its groups under one lock.
/// </summary>
internal sealed class VectorPool
{
    /// <summary>A list grown past this many elements is let go, so one huge selection does not pin its memory.</summary>
    private const int MaxKeptCapacity = 1 << 16;

    /// <summary>How many idle lists of each kind are kept: more than an evaluation holds at once in practice.</summary>
    private const int MaxKept = 32;

    private readonly List<List<PromSample>> _vectors = [];
    private readonly List<List<string>> _keys = [];

    /// <summary>A set for the join keys of one operation: empty when taken, emptied again before the next.</summary>
    public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>A set for one duplicate-labels check: empty when taken, emptied again before the next.</summary>
    public HashSet<Label[]> LabelSets { get; } = new(Labels.Comparer);

    /// <summary>An empty vector with room for at least <paramref name="capacity"/> samples.</summary>
    public List<PromSample> Vector(int capacity = 0) => Take(_vectors, capacity);

    /// <summary>An empty list of join or grouping keys with room for at least <paramref name="capacity"/>.</summary>
    public List<string> KeyList(int capacity = 0) => Take(_keys, capacity);

    /// <summary>Takes back a vector nothing refers to any more.</summary>
    public void Return(List<PromSample> vector) => Keep(_vectors, vector);

    /// <summary>Takes back a key list nothing refers to any more.</summary>
    public void Return(List<string> keys) => Keep(_keys, keys);

    /// <summary>
    /// The idle list that fits best: the smallest with the room asked for, else the largest (grown to it). A
    /// selection of 10k series thus gets the list a 10k selection used before, not one a 2-sample result left.
    /// </summary>
    private static List<T> Take<T>(List<List<T>> idle, int capacity)
    {
        int best = -1;
        for (int i = 0; i < idle.Count; i++)
        {
            int room = idle[i].Capacity;
            if (best < 0)
            {
                best = i;
                continue;
            }

            int bestRoom = idle[best].Capacity;
            bool fits = room >= capacity;
            bool bestFits = bestRoom >= capacity;
            if ((fits && (!bestFits || room < bestRoom)) || (!fits && !bestFits && room > bestRoom))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            return new List<T>(capacity);
        }

        var list = idle[best];
        idle[best] = idle[^1];
        idle.RemoveAt(idle.Count - 1);
        list.EnsureCapacity(capacity);
        return list;
    }

    private static void Keep<T>(List<List<T>> idle, List<T> list)
    {
        // A list handed back twice must not be handed out twice: that would give two nodes one vector.
        if (list.Capacity > MaxKeptCapacity || idle.Count >= MaxKept || idle.Contains(list))
        {
            return;
        }

        list.Clear();
        idle.Add(list);
    }
}
