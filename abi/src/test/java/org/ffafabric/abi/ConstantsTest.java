package org.ffafabric.abi;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConstantsTest
{
    @Test
    void partitionPropertiesBitsMatchTheReference()
    {
        assertEquals(0x1, PartitionProperties.DIRECT_REQ_RECV);
        assertEquals(0x2, PartitionProperties.DIRECT_REQ_SEND);
        assertEquals(0x4, PartitionProperties.INDIRECT_MSG);
        assertEquals(0x8, PartitionProperties.NOTIFICATION_RECV);
        assertEquals(4, PartitionProperties.ID_TYPE_SHIFT);
        assertEquals(0x30, PartitionProperties.ID_TYPE_MASK);
        assertEquals(0x40, PartitionProperties.VM_CREATED_MSG);
        assertEquals(0x80, PartitionProperties.VM_DESTROYED_MSG);
        assertEquals(0x100, PartitionProperties.AARCH64);
        assertEquals(0x200, PartitionProperties.DIRECT_REQ2_RECV);
        assertEquals(0x400, PartitionProperties.DIRECT_REQ2_SEND);
    }

    @Test
    void partitionPropertiesMaskByVersion()
    {
        assertEquals(0x7, PartitionProperties.validMask(FfaVersion.V1_0));
        assertEquals(0x1FF, PartitionProperties.validMask(FfaVersion.V1_1));
        assertEquals(0x7FF, PartitionProperties.validMask(FfaVersion.V1_2));
        assertEquals(0x7, PartitionProperties.validMask(0x8001_0002));
        assertEquals(0x3, PartitionProperties.forVersion(0x103, FfaVersion.V1_0));
        assertEquals(0x103, PartitionProperties.forVersion(0x103, FfaVersion.V1_1));
        assertEquals(0x1FF, PartitionProperties.forVersion(0xFFFF_FFFF, FfaVersion.V1_1));
        assertEquals(0x7FF, PartitionProperties.forVersion(0xFFFF_FFFF, FfaVersion.V1_2));
    }

    @Test
    void partitionPropertiesDescribe()
    {
        assertEquals("direct-req-recv|direct-req-send|aarch64", PartitionProperties.describe(0x103));
        assertEquals("none", PartitionProperties.describe(0));
        assertEquals("indirect-msg|id-type=sepid-dependent", PartitionProperties.describe(0x24));
        assertEquals("direct-req2-recv|0x1000", PartitionProperties.describe(0x1200));
        assertEquals(PartitionProperties.ID_TYPE_AUX, PartitionProperties.idType(0x30));
        assertEquals(0x21, PartitionProperties.idType(0x31, PartitionProperties.ID_TYPE_SEPID_DEPENDENT));
    }

    @Test
    void endpointIds()
    {
        assertEquals(0, EndpointId.HYPERVISOR);
        assertEquals(0x8000, EndpointId.SPMC);
        assertEquals(0xFFFF, EndpointId.SPMD);
        assertEquals(0x7FFF, EndpointId.INVALID);
        assertTrue(EndpointId.isSecure(0x8001));
        assertFalse(EndpointId.isSecure(0x0001));
        assertTrue(EndpointId.isValid(0));
        assertTrue(EndpointId.isValid(0xFFFF));
        assertFalse(EndpointId.isValid(0x10000));
        assertFalse(EndpointId.isValid(-1));
        assertEquals("0x8001", EndpointId.toString(0x8001));
        assertEquals("0x0001", EndpointId.toString(1));
    }

    @Test
    void featureIds()
    {
        assertEquals(1, FeatureId.NPI);
        assertEquals(2, FeatureId.SRI);
        assertEquals(3, FeatureId.MEI);
        assertTrue(FeatureId.isFeatureId(2));
        assertFalse(FeatureId.isFeatureId(FunctionId.FFA_RXTX_MAP_32));
        assertTrue(FeatureId.isValidFeatureId(0xFF));
        assertFalse(FeatureId.isValidFeatureId(0x100));
        assertFalse(FeatureId.isValidFeatureId(0x4000_0001));
        assertFalse(FeatureId.isValidFeatureId(FunctionId.FFA_VERSION));
        assertEquals("SRI", FeatureId.name(2));
        assertEquals("UNKNOWN", FeatureId.name(99));
    }

    @Test
    void rxtxMapProperties()
    {
        // 16K minimum, at most 64 pages: w2 = 0x0040_0002.
        final int w2 = FeatureId.rxtxMapProperties(FeatureId.RXTX_MIN_SIZE_16K, 64);
        assertEquals(0x0040_0002, w2);
        assertEquals(FeatureId.RXTX_MIN_SIZE_16K, FeatureId.rxtxMinSizeCode(w2));
        assertEquals(64, FeatureId.rxtxMaxPages(w2));
        assertEquals(4096, FeatureId.rxtxMinSizeBytes(FeatureId.RXTX_MIN_SIZE_4K));
        assertEquals(65536, FeatureId.rxtxMinSizeBytes(FeatureId.RXTX_MIN_SIZE_64K));
        assertEquals(16384, FeatureId.rxtxMinSizeBytes(FeatureId.RXTX_MIN_SIZE_16K));
        assertEquals(-1, FeatureId.rxtxMinSizeBytes(3));
        assertEquals(0xFFFF, FeatureId.rxtxMaxPages(0xFFFF_0000));
        assertEquals(1, FeatureId.MEM_DYNAMIC_BUFFER);
        assertEquals(2, FeatureId.MEM_NS_BIT);
        assertEquals(4, FeatureId.MEM_HYPERVISOR_RETRIEVAL);
    }

    @Test
    void frameworkMessages()
    {
        final String[] expected =
        {
            "PSCI_REQ", "WARM_BOOT_REQ", "PSCI_RESP", "UNKNOWN", "VM_CREATED_REQ", "VM_CREATED_RESP",
            "VM_DESTROYED_REQ", "VM_DESTROYED_RESP", "VERSION_REQ", "VERSION_RESP", "UNKNOWN",
        };
        for (int type = 0; type < expected.length; type++)
        {
            assertEquals(expected[type], FrameworkMessage.name(type), "type " + type);
        }
        assertEquals("UNKNOWN", FrameworkMessage.name(-1));
        assertEquals("UNKNOWN", FrameworkMessage.name(Integer.MIN_VALUE));
        assertEquals("UNKNOWN", FrameworkMessage.name(Integer.MAX_VALUE));
        assertTrue(FrameworkMessage.isRequest(FrameworkMessage.VERSION_REQ));
        assertFalse(FrameworkMessage.isRequest(FrameworkMessage.VERSION_RESP));
        assertFalse(FrameworkMessage.isRequest(3));
        assertEquals(FrameworkMessage.PSCI_RESP, FrameworkMessage.responseFor(FrameworkMessage.PSCI_REQ));
        assertEquals(FrameworkMessage.VM_CREATED_RESP, FrameworkMessage.responseFor(FrameworkMessage.VM_CREATED_REQ));
        assertEquals(FrameworkMessage.VM_DESTROYED_RESP, FrameworkMessage.responseFor(FrameworkMessage.VM_DESTROYED_REQ));
        assertEquals(FrameworkMessage.VERSION_RESP, FrameworkMessage.responseFor(FrameworkMessage.VERSION_REQ));
        assertEquals(-1, FrameworkMessage.responseFor(FrameworkMessage.VERSION_RESP));
    }

    @Test
    void memoryHandles()
    {
        assertEquals(0xFFFF_FFFF_FFFF_FFFFL, MemoryHandle.INVALID);
        assertEquals(0x8000_0000_0000_0000L, MemoryHandle.ALLOCATOR_HYPERVISOR_BIT);
        final long handle = 0x8000_0001_2345_6789L;
        assertEquals(0x2345_6789, MemoryHandle.lo(handle));
        assertEquals(0x8000_0001, MemoryHandle.hi(handle));
        assertEquals(handle, MemoryHandle.of(0x2345_6789, 0x8000_0001));
        assertEquals(0xFFFF_FFFFL, MemoryHandle.of(-1, 0));
        assertTrue(MemoryHandle.isHypervisorAllocated(handle));
        assertFalse(MemoryHandle.isValid(MemoryHandle.INVALID));
        assertEquals("0x8000000123456789", MemoryHandle.toString(handle));
        assertEquals("invalid", MemoryHandle.toString(-1L));
    }
}
