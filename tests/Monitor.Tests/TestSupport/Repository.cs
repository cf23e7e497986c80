namespace Monitor.Tests.TestSupport;

internal static class Repository
{
    /// <summary>The checkout's root (where Monitor.sln is).</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "Monitor.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string File(string relative) => Path.Combine(Root, relative);

    /// <summary>A file under tests/fixtures/ (captures of real tools and API objects the tests replay).</summary>
    public static string Fixture(string folder, string name) => Path.Combine(Root, "tests", "fixtures", folder, name);
}
