using System.Runtime.InteropServices;
using System.Text;

namespace Provisioner.Host.Netlink;

/// <summary>
/// The one ethtool setting netlab needs: transmit checksum offload. Over OVS's userspace datapath (netdev) a veth
/// that leaves TCP checksums to "hardware" sends packets with bad checksums, so the pod end must compute them itself.
/// Acts on an interface in the calling thread's network namespace (use NetworkNamespace.Run for another).
/// </summary>
public static class Ethtool
{
    private const nuint SiocEthtool = 0x8946;
    private const uint EthtoolGetTxChecksum = 0x16;
    private const uint EthtoolSetTxChecksum = 0x17;

    public static void SetTxChecksumOffload(string interfaceName, bool on) => Call(interfaceName, EthtoolSetTxChecksum, on ? 1u : 0u);

    public static bool GetTxChecksumOffload(string interfaceName) => Call(interfaceName, EthtoolGetTxChecksum, 0) != 0;

    private static unsafe uint Call(string interfaceName, uint command, uint value)
    {
        var fd = Libc.Socket(Libc.AfInet, Libc.SockDgram | Libc.SockCloexec, 0);
        if (fd < 0)
            throw new NetlinkException("socket(AF_INET)", Marshal.GetLastPInvokeError());
        try
        {
            var ethtoolValue = stackalloc uint[2] { command, value };
            var ifreq = stackalloc byte[40]; // struct ifreq: 16-byte name, then the ifr_data pointer
            new Span<byte>(ifreq, 40).Clear();
            Encoding.ASCII.GetBytes(interfaceName, new Span<byte>(ifreq, 15));
            *(void**)(ifreq + 16) = ethtoolValue;
            if (Libc.Ioctl(fd, SiocEthtool, ifreq) != 0)
                throw new NetlinkException($"ethtool command 0x{command:x} on {interfaceName}", Marshal.GetLastPInvokeError());
            return ethtoolValue[1];
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }
}
