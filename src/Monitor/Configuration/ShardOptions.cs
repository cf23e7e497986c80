namespace Monitor.Configuration;

/// <summary><c>shard: i/n</c>: this replica runs the checks whose name hashes to <c>i</c> modulo <c>n</c>.</summary>
internal sealed record ShardOptions(int Index, int Count)
{
    public bool Owns(string checkName)
    {
        // FNV-1a: stable across processes and runtimes, unlike string.GetHashCode.
        uint hash = 2166136261;
        foreach (char c in checkName)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash % (uint)Count == (uint)Index;
    }
}
