using System.Text.Json;
using Monitor.Alerting;
using Monitor.Api;

namespace Monitor.Tests.Api;

/// <summary>The API's body parsers on their own: what they accept, and the field named in each refusal.</summary>
public sealed class RequestParsingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void Silence_InAlertmanagersShape_OrAsALabelMap()
    {
        var (listed, error) = SilenceRequest.Parse(Json("""{"matchers":[{"name":"service","value":"api|web","isRegex":true},{"name":"env","value":"dev","isEqual":false}],"endsAt":"2026-11-22T12:00:00Z","createdBy":"kim","comment":"deploy"}"""), T0);
        Assert.Null(error);
        Assert.Equal([new SilenceMatcher("service", "api|web", true), new SilenceMatcher("env", "dev", false, false)], listed!.Matchers);
        Assert.Equal(T0, listed.StartsAt);
        Assert.Equal(T0.AddHours(2), listed.EndsAt);

        var (mapped, _) = SilenceRequest.Parse(Json("""{"matchers":{"service":"api"},"endsAt":"2026-11-22T12:00:00Z","createdBy":"kim"}"""), T0);
        Assert.Equal([new SilenceMatcher("service", "api", false)], mapped!.Matchers);

        // A "permanent" silence, as teams set them in Alertmanager.
        var (permanent, refused) = SilenceRequest.Parse(Json("""{"matchers":{"service":"legacy"},"endsAt":"2099-01-01T00:00:00Z","createdBy":"kim"}"""), T0);
        Assert.Null(refused);
        Assert.Equal(new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero), permanent!.EndsAt);
    }

    [Theory]
    [InlineData("""[]""", "body must be a JSON object")]
    [InlineData("""{"endsAt":"2026-11-22T12:00:00Z","createdBy":"k"}""", "matchers: required")]
    [InlineData("""{"matchers":{},"endsAt":"2026-11-22T12:00:00Z","createdBy":"k"}""", "matchers: at least one matcher is required")]
    [InlineData("""{"matchers":[{"name":"a"}],"endsAt":"2026-11-22T12:00:00Z","createdBy":"k"}""", "matchers[0]: needs string name and value")]
    [InlineData("""{"matchers":{"a":"b"},"createdBy":"k"}""", "endsAt: required")]
    [InlineData("""{"matchers":{"a":"b"},"endsAt":"tomorrow","createdBy":"k"}""", "endsAt: expected an RFC 3339 time, got \"tomorrow\"")]
    [InlineData("""{"matchers":{"a":"b"},"endsAt":"2026-11-22T09:00:00Z","createdBy":"k"}""", "endsAt: must be after startsAt")]
    [InlineData("""{"matchers":{"a":"b"},"endsAt":"2026-11-22T12:00:00Z"}""", "createdBy: required")]
    [InlineData("""{"matchers":{"a":"b"},"endsAt":"9999-12-31T23:59:59Z","createdBy":"k"}""", "endsAt: at most 100y from now")]
    public void Silence_Refused_NamesTheField(string body, string expected)
    {
        var (silence, error) = SilenceRequest.Parse(Json(body), T0);
        Assert.Null(silence);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("""{"by":"\ud800"}""", "by")]
    [InlineData("""{"a":[1,{"b":"\udc00x"}]}""", "a[1].b")]
    [InlineData("""["ok","\ud800"]""", "[1]")]
    [InlineData("""{"\ud800":"v"}""", "body: a property name")]
    public void InvalidText_LoneSurrogateEscape_IsFoundWithItsPath(string body, string where)
    {
        Assert.Equal(where, RequestJson.InvalidText(Json(body), ""));
    }

    [Fact]
    public void InvalidText_InvalidUtf8Bytes_AreFound_ValidTextIsNot()
    {
        byte[] bytes = [.. "{\"labels\":{\"x\":\""u8.ToArray(), 0xc3, 0x28, .. "\"}}"u8.ToArray()];
        using var document = JsonDocument.Parse(bytes);
        Assert.Equal("labels.x", RequestJson.InvalidText(document.RootElement, ""));
        Assert.Null(RequestJson.InvalidText(Json("""{"by":"Jürgen \u00e9 😀","n":[1,true,null]}"""), ""));
    }

    [Fact]
    public void Webhook_VersionFour_FiringAndResolved()
    {
        var (alerts, error) = AlertmanagerWebhook.Parse(Json("""
            {"version":"4","status":"firing","alerts":[
              {"status":"firing","labels":{"alertname":"Down","service":"api"},"annotations":{"summary":"api down"},"startsAt":"2026-11-22T09:59:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph"},
              {"status":"resolved","labels":{"alertname":"Slow"},"startsAt":"2026-11-22T09:00:00Z","endsAt":"2026-11-22T09:58:00Z"}]}
            """));
        Assert.Null(error);
        Assert.Equal(2, alerts!.Count);
        Assert.False(alerts[0].Resolved);
        Assert.Null(alerts[0].EndsAt); // Alertmanager's zero time means "not ended"
        Assert.Equal("http://prom/graph", alerts[0].GeneratorUrl);
        Assert.Equal(Fingerprint.OfWebhook(new Dictionary<string, string> { ["alertname"] = "Down", ["service"] = "api" }), alerts[0].Fingerprint);
        Assert.NotEqual(Fingerprint.Of(new Dictionary<string, string> { ["alertname"] = "Down", ["service"] = "api" }), alerts[0].Fingerprint); // never a rule alert's
        Assert.True(alerts[1].Resolved);
        Assert.Equal(T0.AddMinutes(-2), alerts[1].EndsAt);
    }

    [Theory]
    [InlineData("""{"version":"3","alerts":[]}""", "version: expected \"4\", got \"3\"")]
    [InlineData("""{"version":"4"}""", "alerts: required list")]
    [InlineData("""{"alerts":[{"status":"firing","labels":{}}]}""", "alerts[0].labels: at least one label is required")]
    [InlineData("""{"alerts":[{"status":"pending","labels":{"a":"b"}}]}""", "alerts[0].status: expected firing or resolved, got \"pending\"")]
    [InlineData("""{"alerts":[{"status":"firing","labels":{"a":1}}]}""", "alerts[0].labels.a: must be a string")]
    public void Webhook_Refused_NamesTheField(string body, string expected)
    {
        var (alerts, error) = AlertmanagerWebhook.Parse(Json(body));
        Assert.Null(alerts);
        Assert.Equal(expected, error);
    }
}
