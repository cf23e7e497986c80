using Monitor.Metrics;

namespace Monitor.Rules.Evaluation;

/// <summary>One element of an instant vector.</summary>
internal readonly record struct PromSample(Label[] Labels, double Value);
