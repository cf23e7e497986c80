using Monitor.Metrics;

namespace Monitor.Tests.Metrics;

public class ContentNegotiationTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("*/*", false)]
    [InlineData("text/plain", false)]
    // Prometheus 2.42's scrape Accept header.
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", true)]
    // Prometheus 3's, which ranks OpenMetrics 1.0 at 0.5.
    [InlineData("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1", true)]
    [InlineData("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5", false)]
    [InlineData("application/openmetrics-text; version=1.0.0", true)]
    [InlineData("application/openmetrics-text;version=2.0.0", false)]
    [InlineData("application/openmetrics-text;version=1.0.0;q=0", false)]
    [InlineData("application/json", false)]
    [InlineData("garbage;;;q=abc,,", false)]
    public void Negotiate_ByQValue(string? accept, bool openMetrics) =>
        Assert.Equal(openMetrics ? ExpositionFormat.OpenMetrics100 : ExpositionFormat.Text004, ContentNegotiation.Negotiate(accept));
}
