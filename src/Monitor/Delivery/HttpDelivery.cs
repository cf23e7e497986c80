using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Monitor.Delivery;

/// <summary>Turns an HTTP answer into an outcome the way docs/delivery.md says: 2xx ok; 429 and 5xx retry; other 4xx rejected.</summary>
internal static class HttpDelivery
{
    private const int MaxDetail = 512;

    public static async Task<DeliveryResult> SendAsync(HttpClient client, HttpRequestMessage request, TimeProvider time, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            return new DeliveryResult(DeliveryOutcome.Retry, "network error: " + e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryResult(DeliveryOutcome.Retry, "timed out");
        }

        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (body.Length > MaxDetail)
            {
                body = body[..MaxDetail] + "…";
            }

            int code = (int)response.StatusCode;
            string detail = string.IsNullOrWhiteSpace(body)
                ? code.ToString(CultureInfo.InvariantCulture)
                : $"{code.ToString(CultureInfo.InvariantCulture)} {body.Trim()}";
            if (response.IsSuccessStatusCode)
            {
                return new DeliveryResult(DeliveryOutcome.Delivered, detail);
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests || code >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout)
            {
                return new DeliveryResult(DeliveryOutcome.Retry, detail, RetryAfter(response.Headers.RetryAfter, time));
            }

            return new DeliveryResult(DeliveryOutcome.Rejected, detail);
        }
    }

    /// <summary>Retry-After as seconds or as an HTTP date.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, TimeProvider time)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
