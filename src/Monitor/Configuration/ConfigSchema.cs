namespace Monitor.Configuration;

/// <summary>
/// The kinds a configuration may name: each check kind and each receiver kind brings its own key and the reader
/// of its section, so the loader knows none of them (the registries in Checks/ and Delivery/ list them).
/// </summary>
internal sealed record ConfigSchema(IReadOnlyList<ICheckKind> CheckKinds, IReadOnlyList<IReceiverKind> ReceiverKinds);

/// <summary>One kind of check as the configuration file knows it.</summary>
internal interface ICheckKind
{
    /// <summary>The key that names the kind in a check (<c>http</c>), also its <c>kind</c> label.</summary>
    string Key { get; }

    /// <summary>
    /// Reads the kind's section; every error goes to the section's context with its file, line and column.
    /// Null when the section is invalid.
    /// </summary>
    ICheckSettings? Read(YamlMap? section);
}

/// <summary>A check kind's section, validated.</summary>
internal interface ICheckSettings
{
    /// <summary>What the check points at, for <c>/api/v1/checks</c>; never contains a secret.</summary>
    string Target { get; }
}

/// <summary>One kind of receiver as the configuration file knows it.</summary>
internal interface IReceiverKind
{
    /// <summary>The key that names the kind in a receiver (<c>slack</c>).</summary>
    string Key { get; }

    /// <summary>Reads the kind's section (errors with file, line and column); null when it is invalid.</summary>
    IReceiverSettings? Read(YamlMap? section);
}

/// <summary>A receiver kind's section, validated.</summary>
internal interface IReceiverSettings;
