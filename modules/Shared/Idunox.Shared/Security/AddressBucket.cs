using System.Net;
using System.Net.Sockets;

namespace Idunox.Shared.Security;

/// <summary>
/// The unit per-address limits count by: an IPv4 address (an IPv4-mapped IPv6 address is its IPv4 address), or an IPv6
/// address's /64 network — one subscriber's allocation, which gives whoever holds it 2^64 addresses to rotate through.
/// </summary>
public static class AddressBucket
{
    public const string Unknown = "unknown";

    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return Unknown;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>The bucket of an address written as text (as the sign-in pages receive it); the text itself when it is no address.</summary>
    public static string Of(string? address) =>
        address is null ? Unknown : IPAddress.TryParse(address, out var parsed) ? Of(parsed) : address;
}
