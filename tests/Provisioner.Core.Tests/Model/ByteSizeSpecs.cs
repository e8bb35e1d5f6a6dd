using Provisioner.Core.Model;

namespace Provisioner.Core.Tests.Model;

public class ByteSizeSpecs
{
    [Theory]
    [InlineData("4G", 4L * ByteSize.GiB)]
    [InlineData("512M", 512L * ByteSize.MiB)]
    [InlineData("2GiB", 2L * ByteSize.GiB)]
    [InlineData("2GB", 2L * ByteSize.GiB)]
    [InlineData("1.5G", 1536L * ByteSize.MiB)]
    [InlineData("64K", 64L * ByteSize.KiB)]
    [InlineData("1T", 1024L * ByteSize.GiB)]
    [InlineData("4g", 4L * ByteSize.GiB)]
    [InlineData(" 4 G ", 4L * ByteSize.GiB)]
    [InlineData("1048576", ByteSize.MiB)]
    [InlineData("100B", 100L)]
    public void I_can_parse_a_size_as_Multipass_takes_it(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var size));
        Assert.Equal(bytes, size.Bytes);
    }

    [Theory]
    [InlineData("4X")]
    [InlineData("G")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("-4G")]
    [InlineData("0G")]
    [InlineData("4 GiGs")]
    [InlineData("four gigs")]
    [InlineData("1,5G")]
    [InlineData("4G4")]
    public void It_refuses_a_size_it_cannot_read(string? text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData("99999999999T")]
    [InlineData("99999999999999999999999999999999G")]
    public void It_refuses_a_size_too_large_to_hold_instead_of_throwing(string text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData(4L * ByteSize.GiB, "4G")]
    [InlineData(512L * ByteSize.MiB, "512M")]
    [InlineData(1536L * ByteSize.MiB, "1536M")]
    [InlineData(1024L * ByteSize.GiB, "1024G")]
    [InlineData(1000L, "1000")]
    public void It_prints_whole_gibibytes_as_G_and_the_rest_as_M(long bytes, string text)
    {
        Assert.Equal(text, new ByteSize(bytes).ToString());
    }

    [Theory]
    [InlineData("4G")]
    [InlineData("512M")]
    [InlineData("1.5G")]
    public void What_it_prints_parses_back_to_the_same_size(string text)
    {
        Assert.True(ByteSize.TryParse(text, out var size));
        Assert.True(ByteSize.TryParse(size.ToString(), out var again));
        Assert.Equal(size, again);
    }

    [Fact]
    public void FromGiB_counts_binary_gibibytes()
    {
        Assert.Equal(2L * 1024 * 1024 * 1024, ByteSize.FromGiB(2).Bytes);
    }
}
