package org.ffafabric.abi;

import org.ffafabric.abi.descriptor.BootInfoDescriptor;
import org.ffafabric.abi.descriptor.MemoryAccessPermissions;
import org.ffafabric.abi.descriptor.MemoryRegionAttributes;
import org.ffafabric.abi.descriptor.MemoryTransactionFlags;
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
        assertEquals("indirect|id-type=sepid-dependent", PartitionProperties.describe(0x24));
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
    void partitionIdTypes()
    {
        // §5.1 bits [5:4]: 00 PE endpoint, 01 SEPID of an independent peripheral, 10 dependent, 11 auxiliary.
        assertEquals(0x00, PartitionProperties.idType(0, PartitionProperties.ID_TYPE_PE_ENDPOINT));
        assertEquals(0x10, PartitionProperties.idType(0, PartitionProperties.ID_TYPE_SEPID_INDEPENDENT));
        assertEquals(0x20, PartitionProperties.idType(0, PartitionProperties.ID_TYPE_SEPID_DEPENDENT));
        assertEquals(0x30, PartitionProperties.idType(0, PartitionProperties.ID_TYPE_AUX));
    }

    @Test
    void frameworkMessageTypes()
    {
        // §4.3 w2 bits [7:0] of a framework message (Hafnium's enum ffa_framework_msg_func, TF-A's FFA_PM_MSG_*).
        assertEquals(0, FrameworkMessage.PSCI_REQ);
        assertEquals(1, FrameworkMessage.WARM_BOOT_REQ);
        assertEquals(2, FrameworkMessage.PSCI_RESP);
        assertEquals(4, FrameworkMessage.VM_CREATED_REQ);
        assertEquals(5, FrameworkMessage.VM_CREATED_RESP);
        assertEquals(6, FrameworkMessage.VM_DESTROYED_REQ);
        assertEquals(7, FrameworkMessage.VM_DESTROYED_RESP);
        assertEquals(8, FrameworkMessage.VERSION_REQ);
        assertEquals(9, FrameworkMessage.VERSION_RESP);
        assertEquals(0x8000_0005, RegisterFile.frameworkMessageFlags(FrameworkMessage.VM_CREATED_RESP));
    }

    @Test
    void notificationFlagWords()
    {
        // §4.6 NOTIFICATION_BIND/SET w2: bit 0 per-vCPU; SET: bit 1 delay SRI, bits [15:2] MBZ, [31:16] vCPU.
        assertEquals(0x1, NotificationBitmap.FLAG_PER_VCPU);
        assertEquals(0x2, NotificationBitmap.SET_FLAG_DELAY_SRI);
        assertEquals(0xFFFC, NotificationBitmap.SET_MBZ_MASK);
        assertEquals(16, NotificationBitmap.SET_VCPU_SHIFT);
        // NOTIFICATION_GET w2: bit 0 SPs, bit 1 VMs, bit 2 SPM framework, bit 3 hypervisor framework (Linux asks 0x5).
        assertEquals(0x1, NotificationBitmap.GET_FLAG_SP);
        assertEquals(0x2, NotificationBitmap.GET_FLAG_VM);
        assertEquals(0x4, NotificationBitmap.GET_FLAG_SPM_FRAMEWORK);
        assertEquals(0x8, NotificationBitmap.GET_FLAG_HYP_FRAMEWORK);
        assertEquals(0xF, NotificationBitmap.GET_FLAGS_VALID_MASK);
        // Framework notification bit 0 of w6/w7: RX buffer full (Linux FRAMEWORK_NOTIFY_RX_BUFFER_FULL BIT(0)).
        assertEquals(0x1, NotificationBitmap.FRAMEWORK_RX_BUFFER_FULL);
    }

    @Test
    void memoryRetrieveFeatureWords()
    {
        // §4.1 FEATURES(MEM_RETRIEVE_REQ) w3 bits [7:0]: reference-count width minus one.
        assertEquals(0xFF, FeatureId.MEM_RETRIEVE_REFCOUNT_MASK);
        // §4.1 PARTITION_INFO_GET_REGS: 24-byte descriptors, three registers each, five in x3..x17.
        assertEquals(24, PartitionInfoRegs.DESCRIPTOR_SIZE);
        assertEquals(3, PartitionInfoRegs.REGISTERS_PER_DESCRIPTOR);
        assertEquals(5, PartitionInfoRegs.MAX_DESCRIPTORS_PER_CALL);
    }

    @Test
    void memoryDescriptorBitFields()
    {
        // §5.4 memory region attributes.
        assertEquals(0x0, MemoryRegionAttributes.NON_SHAREABLE);
        assertEquals(0x2, MemoryRegionAttributes.OUTER_SHAREABLE);
        assertEquals(0x3, MemoryRegionAttributes.INNER_SHAREABLE);
        assertEquals(0x4, MemoryRegionAttributes.normal(MemoryRegionAttributes.NON_CACHEABLE, 0) & 0xF);
        assertEquals(0xC, MemoryRegionAttributes.normal(MemoryRegionAttributes.WRITE_BACK, 0) & 0xF);
        assertEquals(0x10, MemoryRegionAttributes.device(MemoryRegionAttributes.DEVICE_NGNRNE));
        assertEquals(0x14, MemoryRegionAttributes.device(MemoryRegionAttributes.DEVICE_NGNRE));
        assertEquals(0x18, MemoryRegionAttributes.device(MemoryRegionAttributes.DEVICE_NGRE));
        assertEquals(0x1C, MemoryRegionAttributes.device(MemoryRegionAttributes.DEVICE_GRE));
        assertEquals(0x20, MemoryRegionAttributes.TYPE_NORMAL << MemoryRegionAttributes.TYPE_SHIFT);
        // §5.5 access permissions (Linux FFA_MEM_RO BIT(0), RW BIT(1), NO_EXEC BIT(2), EXEC BIT(3)).
        assertEquals(0x1, MemoryAccessPermissions.RO);
        assertEquals(0x2, MemoryAccessPermissions.RW);
        assertEquals(0x4, MemoryAccessPermissions.encode(0, MemoryAccessPermissions.INSTRUCTION_NX));
        assertEquals(0x8, MemoryAccessPermissions.encode(0, MemoryAccessPermissions.INSTRUCTION_X));
        assertEquals(0x9, MemoryAccessPermissions.RO_X);
        // §5.6 transaction flags.
        assertEquals(0x1, MemoryTransactionFlags.ZERO_MEMORY);
        assertEquals(0x2, MemoryTransactionFlags.TIME_SLICE);
        assertEquals(0x4, MemoryTransactionFlags.ZERO_AFTER_RELINQUISH);
        assertEquals(0x08, MemoryTransactionFlags.transactionType(0, MemoryTransactionFlags.TYPE_SHARE));
        assertEquals(0x10, MemoryTransactionFlags.transactionType(0, MemoryTransactionFlags.TYPE_LEND));
        assertEquals(0x1E0, MemoryTransactionFlags.ALIGNMENT_HINT_MASK);
        assertEquals(0x200, MemoryTransactionFlags.ALIGNMENT_HINT_VALID);
        assertEquals(0x400, MemoryTransactionFlags.BYPASS_MULTIPLE_BORROWER_CHECK);
        assertEquals(5, MemoryTransactionFlags.alignmentHint(5 << 5));
        // §5.13 boot information: type bit 7 impdef, FDT 0, HOB 1; flags [1:0] name format, [3:2] content format.
        assertEquals(0x80, BootInfoDescriptor.TYPE_IMPDEF_BIT);
        assertEquals(0, BootInfoDescriptor.TYPE_FDT);
        assertEquals(1, BootInfoDescriptor.TYPE_HOB);
        assertEquals(0x1, BootInfoDescriptor.flags(BootInfoDescriptor.NAME_FORMAT_UUID, BootInfoDescriptor.CONTENT_FORMAT_ADDRESS));
        assertEquals(0x4, BootInfoDescriptor.flags(BootInfoDescriptor.NAME_FORMAT_STRING, BootInfoDescriptor.CONTENT_FORMAT_VALUE));
        assertEquals(0x8, BootInfoDescriptor.flags(BootInfoDescriptor.NAME_FORMAT_STRING, BootInfoDescriptor.CONTENT_FORMAT_OFFSET));
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
