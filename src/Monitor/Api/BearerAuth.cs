using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Monitor.Configuration;

namespace Monitor.Api;

/// <summary>
/// The bearer token of mutating calls (docs/http-api.md): 403 when no <c>api_token</c> is configured (mutations are
/// disabled), 401 when the header is missing or wrong. Comparison is constant-time.
/// </summary>
internal static class BearerAuth
{
    /// <summary>Null when authorised; otherwise the status code and message to answer with.</summary>
    public static (int Status, string Error)? Check(HttpRequest request, Secret? token)
    {
        if (token is null)
        {
            return (StatusCodes.Status403Forbidden, "mutating API calls are disabled: server.api_token is not configured");
        }

        string header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status401Unauthorized, "missing bearer token");
        }

        byte[] given = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
        byte[] expected = Encoding.UTF8.GetBytes(token.Reveal());
        return CryptographicOperations.FixedTimeEquals(given, expected)
            ? null
            : (StatusCodes.Status401Unauthorized, "invalid bearer token");
    }
}
