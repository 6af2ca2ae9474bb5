package edge

// fallbackLimit stands for the limit of open files where it cannot be read.
const fallbackLimit = 1024
