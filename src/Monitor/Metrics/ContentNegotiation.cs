using System.Globalization;

namespace Monitor.Metrics;

/// <summary>
/// Picks the exposition format from an <c>Accept</c> header by q-value, as client_golang does: OpenMetrics
/// when the client ranks it above text 0.0.4, text otherwise (and when the header is absent or unparsable).
/// </summary>
internal static class ContentNegotiation
{
    public static ExpositionFormat Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return ExpositionFormat.Text004;
        }

        double openMetricsQ = -1;
        double textQ = -1;
        int openMetricsOrder = int.MaxValue;
        int textOrder = int.MaxValue;
        int order = 0;
        foreach (var rangeText in accept.Split(','))
        {
            order++;
            var parts = rangeText.Split(';');
            string mediaType = parts[0].Trim().ToLowerInvariant();
            double q = 1;
            string? version = null;
            for (int i = 1; i < parts.Length; i++)
            {
                var kv = parts[i].Split('=', 2);
                if (kv.Length != 2)
                {
                    continue;
                }

                string key = kv[0].Trim().ToLowerInvariant();
                string value = kv[1].Trim().Trim('"');
                if (key == "q" && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
                {
                    q = Math.Clamp(parsed, 0, 1);
                }
                else if (key == "version")
                {
                    version = value;
                }
            }

            if (q <= 0)
            {
                continue;
            }

            if (mediaType == "application/openmetrics-text" && version is null or "1.0.0" or "0.0.1")
            {
                if (q > openMetricsQ)
                {
                    openMetricsQ = q;
                    openMetricsOrder = order;
                }
            }
            else if ((mediaType == "text/plain" && version is null or "0.0.4") || mediaType is "text/*" or "*/*")
            {
                if (q > textQ)
                {
                    textQ = q;
                    textOrder = order;
                }
            }
        }

        if (openMetricsQ < 0)
        {
            return ExpositionFormat.Text004;
        }

        // Equal q-values: the range listed first wins.
        return openMetricsQ > textQ || (openMetricsQ.Equals(textQ) && openMetricsOrder < textOrder)
            ? ExpositionFormat.OpenMetrics100
            : ExpositionFormat.Text004;
    }
}
