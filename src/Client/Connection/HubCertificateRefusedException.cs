using System.Security.Authentication;

namespace PatrolHub.Client.Connection;

/// <summary>The hub's certificate was refused: it is not the hub the client was told to trust (a wrong <c>--ca</c>, or
/// someone else's server at the address).</summary>
public sealed class HubCertificateRefusedException(string message) : AuthenticationException($"PatrolHub refused the hub: {message}");
